package server

import (
	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
)

// stipendRoutes registers this feature's API routes on api (under /api/v1, signed in)
// and its pages on pages (signed in), and appends its sections to
// s.participantSections and s.cohortSections: the participant's three
// social goals, the monthly spending plan, expenses with their receipt
// files, the stipend rule's verdict and the director's approval of a
// month's payment, and the month's report. Whoever may see a participant
// works on their goals, plan, expenses and receipts (every access is
// audited); only the Program Director approves payments and reads the
// site's report.
func (s *Server) stipendRoutes(api, pages *gin.RouterGroup) {
	director := s.requireRole(store.RoleDirector)
	api.GET("/participants/:id/goals", s.participantAccess("view_goals"), s.apiGoals)
	api.PUT("/participants/:id/goals", s.participantAccess("update_goals"), s.apiSaveGoals)
	api.GET("/participants/:id/stipend", s.participantAccess("view_stipend"), s.apiStipendMonth)
	api.PUT("/participants/:id/plans/:month", s.participantAccess("update_spending_plan"), s.apiSavePlan)
	api.POST("/participants/:id/expenses", s.participantAccess("record_expense"), s.apiAddExpense)
	api.DELETE("/participants/:id/expenses/:eid", s.participantAccess("remove_expense"), s.apiDeleteExpense)
	api.POST("/participants/:id/expenses/:eid/receipts", s.participantAccess("upload_receipt"), s.apiAddReceipt)
	api.GET("/participants/:id/receipts/:rid", s.participantAccess("download_receipt"), s.receiptDownload)
	api.POST("/participants/:id/payments", s.participantAccess("approve_stipend"), director, s.apiApprovePayment)
	api.GET("/stipends/report", director, s.stipendReportCSV)

	pages.POST("/participants/:id/goals", s.participantAccess("update_goals"), s.goalsSubmit)
	pages.POST("/participants/:id/plans/:month/lines", s.participantAccess("update_spending_plan"), s.planLineSubmit)
	pages.POST("/participants/:id/plans/:month/lines/:lid/remove", s.participantAccess("update_spending_plan"), s.planLineRemoveSubmit)
	pages.POST("/participants/:id/expenses", s.participantAccess("record_expense"), s.expenseSubmit)
	pages.POST("/participants/:id/expenses/:eid/remove", s.participantAccess("remove_expense"), s.expenseRemoveSubmit)
	pages.POST("/participants/:id/expenses/:eid/receipts", s.participantAccess("upload_receipt"), s.receiptSubmit)
	pages.GET("/participants/:id/receipts/:rid", s.participantAccess("download_receipt"), s.receiptDownload)
	pages.POST("/participants/:id/payments", s.participantAccess("approve_stipend"), director, s.approveSubmit)
	pages.GET("/stipends", director, s.stipendsPage)
	pages.GET("/stipends/report.csv", director, s.stipendReportCSV)

	s.participantSections = append(s.participantSections, s.stipendSection)
}
