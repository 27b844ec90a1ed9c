package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
)

// ReceiptsDir is where receipt files are kept: a receipts folder beside
// the database file.
func (s *stipendStore) ReceiptsDir() string {
	return filepath.Join(filepath.Dir(s.st.Path), "receipts")
}

func (s *stipendStore) receiptPath(fileID string) string {
	return filepath.Join(s.ReceiptsDir(), fileID)
}

// AddReceipt stores a receipt file for an expense. The file's declared
// type, its real content and its size are checked against the release's
// stipend policy first; a refused file leaves nothing behind. The file is
// written, readable by its owner only, under a random name.
func (s *stipendStore) AddReceipt(ctx context.Context, by User, participantID, expenseID, declaredType string, content []byte) (Receipt, error) {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return Receipt{}, err
	}
	var e Expense
	if err := s.st.DB.WithContext(ctx).Limit(1).Find(&e, "id = ? AND participant_id = ?", expenseID, participantID).Error; err != nil {
		return Receipt{}, err
	}
	if e.ID == "" {
		return Receipt{}, &MissingError{"expense"}
	}
	media, problems := rules.CheckReceipt(rel.Stipend, declaredType, content)
	if len(problems) > 0 {
		errs := make(ValidationErrors, len(problems))
		for i, p := range problems {
			errs[i] = ValidationError{Field: p.Field, Msg: p.Detail}
		}
		return Receipt{}, errs
	}
	if s.st.Path == "" {
		return Receipt{}, errors.New("receipts: the store does not know where its database is")
	}
	if err := os.MkdirAll(s.ReceiptsDir(), 0o700); err != nil {
		return Receipt{}, fmt.Errorf("receipts folder: %w", err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Receipt{}, err
	}
	sum := sha256.Sum256(content)
	r := Receipt{ID: uuid.NewString(), ExpenseID: e.ID, ParticipantID: participantID, FileID: hex.EncodeToString(raw[:]), MIMEType: media,
		SizeBytes: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), UploadedBy: by.ID, UploadedAt: s.st.Now()}
	path := s.receiptPath(r.FileID)
	if err := writeNew(path, content); err != nil {
		return Receipt{}, fmt.Errorf("write receipt: %w", err)
	}
	if err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.st.Participants.refreshUpstream(tx, participantID)
	}); err != nil {
		_ = os.Remove(path)
		return Receipt{}, err
	}
	return r, nil
}

// writeNew writes a new file readable by its owner only, removing it again
// when it cannot be written in full.
func writeNew(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// ReceiptFile returns a participant's receipt and its file's content.
func (s *stipendStore) ReceiptFile(ctx context.Context, participantID, receiptID string) (Receipt, []byte, error) {
	var r Receipt
	if err := s.st.DB.WithContext(ctx).Limit(1).Find(&r, "id = ? AND participant_id = ?", receiptID, participantID).Error; err != nil {
		return r, nil, err
	}
	if r.ID == "" {
		return r, nil, &MissingError{"receipt"}
	}
	b, err := os.ReadFile(s.receiptPath(r.FileID))
	if err != nil {
		return r, nil, fmt.Errorf("receipt file: %w", err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != r.SHA256 {
		return r, nil, fmt.Errorf("receipt file %s does not match its checksum", r.FileID)
	}
	return r, b, nil
}
