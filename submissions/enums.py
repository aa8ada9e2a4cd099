from django.db import models
from django.utils.translation import gettext_lazy as _

from .counting import StoppedBy


class EntryState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    PENDING_APPROVAL = "pending_approval", _("pending approval")
    APPROVED = "approved", _("approved")
    PROOF_REQUESTED = "proof_requested", _("proof requested")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


# Entries that count toward a certification year.
COUNTING_STATES = frozenset({EntryState.SUBMITTED, EntryState.APPROVED})
# Entries waiting for a decision: they do not count yet, but they hold their place under a cap
# when a new entry is logged, and they keep a year's close open.
UNDECIDED_STATES = frozenset({EntryState.PENDING_APPROVAL, EntryState.PROOF_REQUESTED})
# Entries that count or wait for a decision: the holders an audit draws from, and what holds
# its place under a cap when a new entry is logged.
COUNTING_OR_UNDECIDED_STATES = COUNTING_STATES | UNDECIDED_STATES
# The holder may still withdraw these, and add proof to them.
WITHDRAWABLE_STATES = frozenset(
    {EntryState.SUBMITTED, EntryState.PENDING_APPROVAL, EntryState.PROOF_REQUESTED}
)
# The holder may change these; once a reviewer decides (or asks for proof) they are fixed.
EDITABLE_STATES = frozenset({EntryState.SUBMITTED, EntryState.PENDING_APPROVAL})
# What a reviewer may approve, adjust or reject.
DECIDABLE_STATES = frozenset(
    {EntryState.SUBMITTED, EntryState.PENDING_APPROVAL, EntryState.PROOF_REQUESTED})
# What a reviewer (or an audit) may ask proof of.
PROOF_REQUESTABLE_STATES = frozenset({EntryState.SUBMITTED, EntryState.PENDING_APPROVAL})
# What an audit sample asks proof of: any entry of a year not yet closed that counts or waits
# (PRODUCT.md, "Proof and audit"), approved ones included; an approved entry stops counting
# until its proof is accepted.
AUDITABLE_STATES = PROOF_REQUESTABLE_STATES | {EntryState.APPROVED}
# What the Board reinstates: a rejected entry, or one approved at an adjusted value.
REINSTATABLE_STATES = frozenset({EntryState.REJECTED, EntryState.APPROVED})


class DenialKind(models.TextChoices):
    ENTRY_REJECTED = "entry_rejected", _("entry rejected")
    CREDITS_ADJUSTED = "credits_adjusted", _("credit value adjusted")
    DECERTIFIED = "decertified", _("decertified")



# The cap that stopped part of an entry from counting in a year (counting.StoppedBy), as the
# stored standings name it.
STOPPED_BY_CHOICES = [
    (StoppedBy.ACTIVITY_CAP.value, _("the activity's annual cap")),
    (StoppedBy.SUBMISSION_CAP.value, _("the annual submission cap")),
]
