"""The admin of entries and standings, a module by what it holds:

- `entries`: the entry admin (the review queue, logging for a holder, decisions), audits, and the
  catalogue's and levels' admins (a change there recounts);
- `review`: the decision buttons, forms and bulk actions of the entry admin;
- `attendance`: the webinar attendance import;
- `holders`: the holders overview and the compliance summary;
- `certifications`: certifications, awarded and corrected through their services.

Django's autodiscovery imports this package; importing each module registers its admins.
"""

from . import certifications, entries, holders  # noqa: F401 (they register the admins)
