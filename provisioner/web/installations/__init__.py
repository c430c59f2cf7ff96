"""The installation pages: technicians' appointments by day and week, the appointment page and its checklist, booking, rescheduling and cancelling, the iCalendar feed."""
