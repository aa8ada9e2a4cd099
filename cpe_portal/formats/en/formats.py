"""The portal's one date style, in its pages, the admin and mail: "2 December 2026", and
"2 December 2026, 16:57" with a time (24-hour, the body's time zone). What is not set here (the
input formats, numbers) stays Django's English."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j F Y"
SHORT_DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
