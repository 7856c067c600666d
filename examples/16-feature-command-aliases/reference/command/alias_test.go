package command

import (
	"errors"
	"testing"
)

func TestAliases(t *testing.T) {
	r := newTestRegistry(t)
	err := r.Register(Command{Name: "rollback", Aliases: []string{"rb", "undo"}, Usage: "rollback <service>", Summary: "Roll back a service", MinArgs: 1, Run: echo})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if got, err := r.Dispatch("!RB api"); err != nil || got != "api" {
		t.Errorf("Dispatch(!RB api) = %q, %v; want api", got, err)
	}
	if c, ok := r.Lookup("undo"); !ok || c.Name != "rollback" {
		t.Errorf("Lookup(undo) = %+v, %v; want rollback", c, ok)
	}
	if got := r.Names(); len(got) != 3 {
		t.Errorf("Names() = %v, want only the 3 command names", got)
	}
	want := "!deploy - Deploy a service\n!ping - Check that the bot is alive\n!rollback (aliases: !rb, !undo) - Roll back a service\n"
	if got := r.Help(); got != want {
		t.Errorf("Help() = %q, want %q", got, want)
	}
}

func TestAliasConflicts(t *testing.T) {
	r := newTestRegistry(t)
	if err := r.Register(Command{Name: "rollback", Aliases: []string{"rb"}, Run: echo}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	for _, c := range []Command{
		{Name: "rb", Run: echo},
		{Name: "restart", Aliases: []string{"ping"}, Run: echo},
		{Name: "restart", Aliases: []string{"r", "rb"}, Run: echo},
		{Name: "restart", Aliases: []string{"restart"}, Run: echo},
		{Name: "restart", Aliases: []string{"r", "r"}, Run: echo},
	} {
		if err := r.Register(c); !errors.Is(err, ErrDuplicate) {
			t.Errorf("Register(%q, aliases %q) error = %v, want ErrDuplicate", c.Name, c.Aliases, err)
		}
	}
	if _, ok := r.Lookup("r"); ok {
		t.Error("alias r of a rejected command was registered")
	}
	if err := r.Register(Command{Name: "restart", Aliases: []string{"Re"}, Run: echo}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Register with alias Re error = %v, want ErrInvalid", err)
	}
}
