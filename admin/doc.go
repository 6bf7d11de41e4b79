// Package admin makes Cognito's IAM-authorized admin sign-outs: one user by
// name ([Client.SignOut], Cognito's AdminUserGlobalSignOut), or every user of
// a pool, or those a filter selects ([Client.SignOutAll]), for incident
// response: after a breach, a leaked store of refresh tokens, a wave of
// departures.
//
//	cfg, err := config.LoadDefaultConfig(ctx) // profile, environment or instance role, as the aws CLI
//	if err != nil {
//		return err
//	}
//	c, err := admin.New(cfg)
//	if err != nil {
//		return err
//	}
//	report, err := c.SignOutAll(ctx, "eu-west-1_AbC123xyz", admin.Sweep{Checkpoint: "sweep.json"})
//
// Unlike package signout, whose calls the users' own tokens authorize, this
// package needs AWS credentials: the caller loads them, so every source the
// aws CLI knows works, and the root package stays free of them. The region
// is the user pool's, taken from its id.
//
// # Sweeps
//
// Cognito has no call that signs out a whole pool. A sweep reads ListUsers
// pages of 60 users and sends one AdminUserGlobalSignOut per user, each
// paced at its quota (25 sign-outs a second, UserUpdate, shared with every
// other user update of the account and region; 30 pages a second,
// UserList): 100,000 users take at least 67 minutes. Throttling lowers the
// pace instead of failing users; users deleted meanwhile are skipped; a
// checkpoint saved after each page lets a run killed at any point resume
// without listing a finished page again. [Sweep] sets the filter, the
// rates, the checkpoint, a dry run and a progress callback; [Report] says
// what became of every user.
//
// # Revocations
//
// A signed-out user's access and ID tokens still verify locally until they
// expire, up to a day. With [WithRevocationStore], an unfiltered sweep
// first records a cutoff for the whole pool (a signout.Revocation without a
// Subject), so that verifiers reading the same store (package verify) refuse
// every session begun before the sweep at once, while the sweep runs. A
// filtered sweep records each user it signs out instead (Subject set to the
// user's sub, just before the sign-out), since a cutoff for the pool would
// also refuse the users the filter spares. Each run of a sweep records the
// time it began, not the first run's: the sessions begun between runs are
// refused too (the users it signs out lose them at Cognito), and a run
// resumed more than a day later records a cutoff that has not expired.
//
// # Errors
//
// Every error is a *signout.Error matching a sentinel of package signout:
// signout.ErrUserNotFound, signout.ErrResourceNotFound,
// signout.ErrForbidden (IAM refused), signout.ErrInvalidParameter (bad
// input, refused before any request), signout.ErrInvalidOption (no
// credentials, an unusable checkpoint), signout.ErrThrottled, and so on.
// Usernames appear in reports and errors; tokens and credentials never do.
package admin
