package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/dbx"
)

func backupCmd(g *globals) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent copy of the agent's database and receipts, also while it serves",
		Long: `Write a consistent copy of the agent's SQLite database (VACUUM INTO), safe
while 'agent serve' runs, and copy the receipt files beside it into the
folder <file>.receipts. The copy holds identifying data: keep it as
carefully as the machine itself.`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			if err := dbx.BackupSQLite(st.DB, to); err != nil {
				return err
			}
			// Receipts are written once and never changed, so copying them
			// after the database leaves none the copy refers to behind.
			n, err := copyDir(st.Stipends.ReceiptsDir(), to+".receipts")
			if err != nil {
				return fmt.Errorf("receipts: %w", err)
			}
			if n > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%d receipt files copied to %s.receipts\n", n, to)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup written to %s\n", to)
			return nil
		}),
	}
	cmd.Flags().StringVar(&to, "to", "", "file to write (required, must not exist)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func restoreCmd(g *globals) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Replace the agent's database with a backup (stop 'agent serve' first)",
		Long: `Replace the agent's database with a backup made by 'agent backup'. Stop
'agent serve' first. The current database is kept beside it with a .before-restore
suffix. After a restore the agent resends what the hub may lack at its next sync.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dst := g.path()
			if err := store.CheckBackup(from); err != nil {
				return fmt.Errorf("%s is not a usable agent backup: %w; nothing was changed", from, err)
			}
			if _, err := os.Stat(dst); err == nil {
				keep := dst + ".before-restore"
				_ = os.Remove(keep)
				// Fold the WAL into the file before moving it aside.
				if db, err := dbx.Open(dst, slog.New(slog.DiscardHandler)); err == nil {
					db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
					_ = dbx.Close(db)
				}
				if err := os.Rename(dst, keep); err != nil {
					return err
				}
				_ = os.Remove(dst + "-wal")
				_ = os.Remove(dst + "-shm")
			}
			b, err := os.ReadFile(from)
			if err != nil {
				return err
			}
			// A new machine's data directory may not exist yet.
			if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
				return err
			}
			if err := os.WriteFile(dst, b, 0o600); err != nil {
				return err
			}
			// The file was just written: opened as it is, whatever it holds.
			st, _, err := g.create(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := os.Stat(from + ".receipts"); err == nil {
				keep := st.Stipends.ReceiptsDir() + ".before-restore"
				_ = os.RemoveAll(keep)
				if err := os.Rename(st.Stipends.ReceiptsDir(), keep); err != nil && !os.IsNotExist(err) {
					return err
				}
				if _, err := copyDir(from+".receipts", st.Stipends.ReceiptsDir()); err != nil {
					return fmt.Errorf("receipts: %w", err)
				}
			}
			// The hub may hold newer versions than the backup: resend all, the
			// hub keeps the higher versions and reports the rest as stale.
			if _, err := st.Outbox.RequeueAll(cmd.Context()); err != nil {
				return err
			}
			// A sync round that ran when the backup was made runs no more.
			if err := st.SetMeta(cmd.Context(), store.MetaSyncRound, ""); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s from %s\n", dst, from)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup file (required)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// copyDir copies the regular files of a folder (not recursively) into a new
// folder readable by its owner only, and returns how many it copied. A
// missing source is an empty one.
func copyDir(src, dst string) (int, error) {
	entries, err := os.ReadDir(src)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return n, err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
