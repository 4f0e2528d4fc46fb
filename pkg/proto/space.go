package proto

// HasSpace reports whether src holds any space, tab, CR or LF byte, i.e.
// whether AppendCompact could change it. Callers use it to avoid copying
// payloads that are already one line.
func HasSpace(src []byte) bool { return hasSpace(src) }
