package server

import "github.com/gin-gonic/gin"

// meetingRoutes registers this feature's API routes on api (under /api/v1, signed in)
// and its pages on pages (signed in), and appends its sections to
// s.participantSections and s.cohortSections. Being written.
func (s *Server) meetingRoutes(api, pages *gin.RouterGroup) {}
