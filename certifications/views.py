import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .models import Certification


@require_GET
def badge(request: HttpRequest, badge_id: uuid.UUID) -> HttpResponse:
    """The public verification page: name, title, level, award date and status, nothing else."""
    certification = get_object_or_404(
        Certification.objects.select_related("holder", "title__level"), badge_id=badge_id)
    valid_through = None
    if certification.is_active:
        year = certification.year_containing(timezone.localdate())
        valid_through = year.ends_on if year else None
    response = render(request, "certifications/badge.html",
                      {"certification": certification, "valid_through": valid_through})
    response["X-Robots-Tag"] = "noindex"
    return response
