"""Former names of people and companies (screened with their other and trading names), and the names already
stored brought into the one form the portal stores, shows, searches and screens (core.names): NFKC, invisible
characters (bidi controls, zero-width characters) removed."""

from django.db import migrations, models


def normalise_stored_names(apps, schema_editor):  # type: ignore[no-untyped-def]
    from core.names import name_from_source, names_from_source

    Person = apps.get_model("kyc", "Person")
    CompanyProfile = apps.get_model("kyc", "CompanyProfile")
    for person in Person.objects.only("pk", "legal_name", "other_names").iterator(chunk_size=500):
        legal, others = name_from_source(person.legal_name), names_from_source(person.other_names or [])
        if (legal, others) != (person.legal_name, person.other_names or []):
            Person.objects.filter(pk=person.pk).update(legal_name=legal, other_names=others)
    for company in CompanyProfile.objects.only("pk", "legal_name", "trading_names").iterator(chunk_size=500):
        legal, trading = name_from_source(company.legal_name), names_from_source(company.trading_names or [])
        if (legal, trading) != (company.legal_name, company.trading_names or []):
            CompanyProfile.objects.filter(pk=company.pk).update(legal_name=legal, trading_names=trading)


class Migration(migrations.Migration):
    dependencies = [
        ("kyc", "0012_wallet_claims_computed_idempotency_without_body"),
    ]

    operations = [
        migrations.AddField(
            model_name="companyprofile",
            name="former_names",
            field=models.JSONField(blank=True, default=list, help_text="Names the company was registered under."),
        ),
        migrations.AddField(
            model_name="person",
            name="former_names",
            field=models.JSONField(blank=True, default=list, help_text="Names the person was known by before."),
        ),
        migrations.RunPython(normalise_stored_names, migrations.RunPython.noop),
    ]
