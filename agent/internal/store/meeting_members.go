package store

import (
	"context"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
)

// Who a cohort's meeting is for: its members on the day.

// everMembers lists everyone who has been a member of a cohort, in order.
// Upstream, a Peer Partners group's meetings count as held for whoever was
// a member on some day of the month (participationOf), so a meeting
// recorded, moved or removed changes the records of members who were not
// on its attendance list too.
func everMembers(tx *gorm.DB, cohortID string) ([]string, error) {
	var ids []string
	err := tx.Model(&CohortMember{}).Where("cohort_id = ?", cohortID).Order("participant_id").Pluck("participant_id", &ids).Error
	return ids, err
}

// membersOn returns the cohort's members on a day: joined by then, not
// left and not withdrawn before it, and not past their program year. A
// member whose program year ended before the day is not in it (ended):
// a meeting after their year is not theirs, unless they joined the cohort
// after their year ended (added with ConfirmYearEnded, to take part all
// the same).
func membersOn(tx *gorm.DB, cohortID, day string) (members, ended map[string]bool, err error) {
	var rows []struct {
		ParticipantID, EnrolledOn, JoinedOn string
		WithdrawnAt                         *time.Time
	}
	err = tx.Raw(`SELECT m.participant_id, p.enrolled_on, m.joined_on, p.withdrawn_at FROM cohort_members m JOIN participants p ON p.id = m.participant_id
WHERE m.cohort_id = ? AND m.joined_on <= ? AND (m.left_on = '' OR m.left_on > ?)`, cohortID, day, day).Scan(&rows).Error
	members, ended = map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		if r.WithdrawnAt != nil && r.WithdrawnAt.UTC().Format(dateLayout) < day {
			continue
		}
		if enrolled, ok := parseDate(r.EnrolledOn); ok {
			if last := rules.YearEnd(enrolled).Format(dateLayout); day > last && r.JoinedOn <= last {
				ended[r.ParticipantID] = true
				continue
			}
		}
		members[r.ParticipantID] = true
	}
	return members, ended, err
}

// Attendees are the members of a cohort a meeting on day lists, by name
// (see membersOn): the form recording a meeting offers them.
func (s *meetingStore) Attendees(ctx context.Context, cohortID, day string) ([]Participant, error) {
	members, _, err := membersOn(s.st.DB.WithContext(ctx), cohortID, day)
	if err != nil || len(members) == 0 {
		return []Participant{}, err
	}
	var ps []Participant
	err = s.st.DB.WithContext(ctx).Where("id IN ?", slices.Collect(maps.Keys(members))).Order("last_name, first_name, id").Find(&ps).Error
	return ps, err
}

// keepRecorded puts back among a meeting's members, for its correction,
// those whose program year had ended by its day (ended) but whom it was
// recorded with (meetings recorded before attendance left them out): a
// correction of such a meeting marks them as it did, rather than fail.
func keepRecorded(tx *gorm.DB, meetingID string, members, ended map[string]bool) error {
	if meetingID == "" || len(ended) == 0 {
		return nil
	}
	var ids []string
	if err := tx.Model(&MeetingAttendance{}).Where("meeting_id = ?", meetingID).Pluck("participant_id", &ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if ended[id] {
			members[id] = true
			delete(ended, id)
		}
	}
	return nil
}

// yearEndedAttendance refuses attendance naming a member whose program
// year ended before the meeting's day (ended), and gives the attendance
// without them, for the other checks (they are not also told they are not
// members).
func yearEndedAttendance(ended, attendance map[string]bool) (ValidationErrors, map[string]bool) {
	var errs ValidationErrors
	rest := make(map[string]bool, len(attendance))
	for id, present := range attendance {
		if ended[id] {
			errs = append(errs, ValidationError{Field: "attendance." + id, Msg: "their program year ended before the meeting's day: leave them off its attendance"})
			continue
		}
		rest[id] = present
	}
	return errs, rest
}
