"""The admin site as a whole: its index opens with what waits for a decision."""

from django.contrib import admin

admin.site.index_template = "admin/portal_index.html"
