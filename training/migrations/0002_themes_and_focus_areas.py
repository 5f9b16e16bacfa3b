from django.db import migrations


def add_catalogue(apps, schema_editor):
    from training.content import ensure_catalogue

    ensure_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(add_catalogue, migrations.RunPython.noop)]
