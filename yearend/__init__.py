"""The year-end close and proof retention: the jobs that need every app below them (standings,
certifications, denials, appeals), so they stand on top of all of them."""
