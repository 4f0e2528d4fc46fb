package ui

import "github.com/charmbracelet/bubbles/key"

// keyMap lists the UI's keys; it feeds the help bar.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Newest key.Binding
	Pause, Filter, Search, Next, Prev       key.Binding
	Save, Focus, Help, Quit                 key.Binding
}

func defaultKeys() keyMap {
	return keyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "oldest")),
		Newest:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "newest")),
		Pause:    key.NewBinding(key.WithKeys(" ", "p"), key.WithHelp("space", "pause")),
		Filter:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter")),
		Search:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Next:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "older/newer match")),
		Prev:     key.NewBinding(key.WithKeys("N")),
		Save:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save")),
		Focus:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "list/detail")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp implements help.KeyMap.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Pause, k.Filter, k.Search, k.Newest, k.Save, k.Focus, k.Help, k.Quit}
}

// FullHelp implements help.KeyMap.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown},
		{k.Top, k.Newest, k.Focus, k.Save},
		{k.Pause, k.Filter, k.Search, k.Next},
		{k.Help, k.Quit},
	}
}
