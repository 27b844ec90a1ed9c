package i18n

import (
	"strconv"
	"time"
)

// golang.org/x/text formats numbers but not dates: the names of the days
// and months of each language are here.

var (
	spanishDays   = [...]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}
	spanishMonths = [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
)

// DayMonth shows a date as its day and month: "7 December" in English,
// "7 de diciembre" in Spanish.
func DayMonth(lang string, t time.Time) string {
	if Supported(lang) == Spanish {
		return strconv.Itoa(t.Day()) + " de " + spanishMonths[t.Month()-1]
	}
	return t.Format("2 January")
}

// Date shows a date with its weekday, "Monday 7 December" ("lunes 7 de
// diciembre"), with the year when it is not the year of now ("Monday 7
// December 2025", "lunes 7 de diciembre de 2025").
func Date(lang string, t, now time.Time) string {
	sameYear := t.Year() == now.Year()
	if Supported(lang) == Spanish {
		s := spanishDays[t.Weekday()] + " " + DayMonth(lang, t)
		if !sameYear {
			s += " de " + strconv.Itoa(t.Year())
		}
		return s
	}
	if sameYear {
		return t.Format("Monday 2 January")
	}
	return t.Format("Monday 2 January 2006")
}
