"""The admin site as a whole: its index opens with what waits for a decision."""

from django.contrib import admin

admin.site.index_template = "admin/portal_index.html"
# The lists are wide (a reviewer reads every column of the queue at 1,280 px): the breadcrumbs
# and the index lead between pages instead of a sidebar.
admin.site.enable_nav_sidebar = False
