package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The formatters render what --query makes of GlobalSignOut's empty output,
// following what the aws CLI prints for the same values. Only JSON is exact
// for every value; text and table match it for scalars and flat objects.

func writeJSON(w io.Writer, v any) {
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if enc.Encode(v) == nil {
		w.Write(buf.Bytes())
	}
}

func writeText(w io.Writer, v any) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			return
		}
		var cells []string
		for _, k := range sortedKeys(t) {
			cells = append(cells, scalarText(t[k]))
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	case []any:
		if len(t) == 0 {
			return
		}
		cells := make([]string, len(t))
		for i, e := range t {
			cells[i] = scalarText(e)
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	default:
		fmt.Fprintln(w, scalarText(t))
	}
}

// scalarText spells a value as Python's str() does.
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case bool:
		if t {
			return "True"
		}
		return "False"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case string:
		return t
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

const tableTitle = "GlobalSignOut"

// writeTable draws the aws CLI's table: nothing for an empty or false-like
// value, the title alone for a scalar, and a row per key for an object.
func writeTable(w io.Writer, v any) {
	switch t := v.(type) {
	case nil, bool:
		if t != true {
			return
		}
	case float64:
		if t == 0 {
			return
		}
	case string:
		if t == "" {
			return
		}
	case []any:
		if len(t) == 0 {
			return
		}
	case map[string]any:
		if len(t) == 0 {
			return
		}
		writeTableRows(w, t)
		return
	}
	width := len(tableTitle) + 2
	fmt.Fprintf(w, "%s\n|%s|\n+%s+\n", strings.Repeat("-", width), tableTitle, strings.Repeat("-", width-2))
}

func writeTableRows(w io.Writer, m map[string]any) {
	keys := sortedKeys(m)
	kw, vw := 0, 0
	for _, k := range keys {
		kw = max(kw, len(k)+4)
		vw = max(vw, len(scalarText(m[k]))+4)
	}
	width := max(kw+vw+3, len(tableTitle)+2)
	vw = width - kw - 3
	pad := width - 2 - len(tableTitle)
	sep := "+" + strings.Repeat("-", kw) + "+" + strings.Repeat("-", vw) + "+"
	fmt.Fprintf(w, "%s\n|%s%s%s|\n%s\n", strings.Repeat("-", width), strings.Repeat(" ", pad/2), tableTitle, strings.Repeat(" ", pad-pad/2), sep)
	for _, k := range keys {
		left := (kw - len(k)) / 2
		val := scalarText(m[k])
		fmt.Fprintf(w, "|%s%s%s|  %s%s|\n", strings.Repeat(" ", left), k, strings.Repeat(" ", kw-len(k)-left), val, strings.Repeat(" ", vw-2-len(val)))
	}
	fmt.Fprintln(w, sep)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
