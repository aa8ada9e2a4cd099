"""The certification levels and the starting catalogue of titles."""

from decimal import Decimal as D

from django.db import migrations

LEVELS = [
    ("foundation", "Foundation", D("0")),
    ("practitioner", "Practitioner", D("20")),
    ("expert", "Expert", D("40")),
    ("officer", "Certified Officer", D("40")),
]

# code, name, level, field
TITLES = [
    ("ISF", "Information Security Foundation", "foundation", "information_security"),
    ("ISP", "Information Security Practitioner", "practitioner", "information_security"),
    ("ISE", "Information Security Expert", "expert", "information_security"),
    ("CISO", "Certified Information Security Officer", "officer", "information_security"),
    ("DPF", "Data Protection Foundation", "foundation", "data_protection"),
    ("DPP", "Data Protection Practitioner", "practitioner", "data_protection"),
    ("DPE", "Data Protection Expert", "expert", "data_protection"),
    ("CDPO", "Certified Data Protection Officer", "officer", "data_protection"),
    ("ITSF", "IT Security Foundation", "foundation", "it_security"),
    ("ITSP", "IT Security Practitioner", "practitioner", "it_security"),
    ("ITSE", "IT Security Expert", "expert", "it_security"),
    ("EHF", "Ethical Hacking Foundation", "foundation", "ethical_hacking"),
    ("EHP", "Ethical Hacking Practitioner", "practitioner", "ethical_hacking"),
    ("EHE", "Ethical Hacking Expert", "expert", "ethical_hacking"),
    ("BCF", "Business Continuity Foundation", "foundation", "business_continuity"),
    ("BCP", "Business Continuity Practitioner", "practitioner", "business_continuity"),
    ("BCE", "Business Continuity Expert", "expert", "business_continuity"),
    ("CBCO", "Certified Business Continuity Officer", "officer", "business_continuity"),
    ("SOC-CA", "SOC Certified Analyst", "practitioner", "security_operations"),
    ("SOC-LA", "SOC Lead Analyst", "practitioner", "security_operations"),
]


def load(apps, schema_editor):
    Level = apps.get_model("certifications", "CertificationLevel")
    Title = apps.get_model("certifications", "CertificationTitle")
    levels = {}
    for position, (code, name, required) in enumerate(LEVELS, start=1):
        levels[code], _ = Level.objects.update_or_create(
            code=code, defaults={"name": name, "required_credits": required, "position": position}
        )
    for code, name, level, field in TITLES:
        Title.objects.update_or_create(
            code=code,
            defaults={"name": name, "level": levels[level], "field": field, "active": True},
        )


def unload(apps, schema_editor):
    apps.get_model("certifications", "CertificationTitle").objects.filter(
        code__in=[t[0] for t in TITLES]
    ).delete()
    apps.get_model("certifications", "CertificationLevel").objects.filter(
        code__in=[lv[0] for lv in LEVELS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("certifications", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
