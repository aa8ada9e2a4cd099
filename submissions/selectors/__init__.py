"""Reads, by who reads them:

- `holder`: the holder's pages (standings, years, entries, the dashboard);
- `review`: the reviewer's queue and the review panel of an entry;
- `overview`: staff's holders overview and compliance summary.

What a new entry would count for, before it is saved, is the write path's: `submissions.assessment`.
"""
