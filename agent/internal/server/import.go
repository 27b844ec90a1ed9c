package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

const maxImportBytes = 8 << 20

func (s *Server) runImport(c *gin.Context, kind string, r io.Reader, dryRun bool) (store.ImportResult, error) {
	var res store.ImportResult
	var err error
	if kind == "coaches" {
		res, err = s.st.ImportCoaches(c.Request.Context(), r, dryRun)
	} else {
		res, err = s.st.ImportParticipants(c.Request.Context(), r, dryRun, nil)
	}
	if err == nil && !dryRun {
		if aerr := s.st.Audit(c.Request.Context(), currentUser(c), "import_"+kind, "site", "", fmt.Sprintf("%d imported", res.Imported)); aerr != nil {
			return res, aerr
		}
		if kind == "participants" {
			s.nudgeSync()
		}
	}
	return res, err
}

// apiImport takes a CSV body: POST /api/v1/import/participants?dry_run=true.
func (s *Server) apiImport(c *gin.Context) {
	kind := c.Param("kind")
	if kind != "participants" && kind != "coaches" {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "Import participants or coaches."))
		return
	}
	if ct := c.ContentType(); ct != "text/csv" {
		problem.Write(c, problem.New(http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia, "Send the file as text/csv."))
		return
	}
	res, err := s.runImport(c, kind, http.MaxBytesReader(c.Writer, c.Request.Body, maxImportBytes), c.Query("dry_run") == "true")
	if err != nil && problem.ClientGone(c, err) {
		// The file broke off: nothing was imported, and nobody waits for
		// the rows it refused.
		s.fail(c, err)
		return
	}
	if errors.Is(err, store.ErrImportRefused) {
		p := problem.Validation("The file has errors; nothing was imported.")
		for _, e := range res.Errors {
			p.Errors = append(p.Errors, problem.FieldError{Field: rowField(e), Detail: e.Detail})
		}
		problem.Write(c, p)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func rowField(e store.RowError) string {
	f := "row " + strconv.Itoa(e.Row)
	if e.Field != "" {
		f += "." + e.Field
	}
	return f
}

func (s *Server) importPage(c *gin.Context) {
	s.render(c, http.StatusOK, "import.html", gin.H{"Title": "Import", "Kind": "participants", "Participants": store.ParticipantColumns, "Coaches": store.CoachColumns})
}

func (s *Server) importSubmit(c *gin.Context) {
	kind := c.PostForm("kind")
	dryRun := c.PostForm("dry_run") == "true"
	data := gin.H{"Title": "Import", "Kind": kind, "DryRun": dryRun, "Participants": store.ParticipantColumns, "Coaches": store.CoachColumns}
	if kind != "participants" && kind != "coaches" {
		data["Error"] = "Choose what the file holds: participants or coaches."
		s.render(c, http.StatusUnprocessableEntity, "import.html", data)
		return
	}
	fh, err := c.FormFile("file")
	if err != nil && problem.ClientGone(c, err) {
		s.fail(c, err)
		return
	}
	if err != nil || fh.Size > maxImportBytes {
		data["Error"] = "Choose a CSV file of at most 8 MB."
		s.render(c, http.StatusUnprocessableEntity, "import.html", data)
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.fail(c, err)
		return
	}
	defer f.Close()
	res, err := s.runImport(c, kind, f, dryRun)
	data["Result"] = res
	switch {
	case errors.Is(err, store.ErrImportRefused):
		s.render(c, http.StatusUnprocessableEntity, "import.html", data)
	case err != nil:
		s.fail(c, err)
	default:
		s.render(c, http.StatusOK, "import.html", data)
	}
}
