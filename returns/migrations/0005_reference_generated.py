"""The reference (R-000123) becomes a column the database generates from the row's id (tickets.models.
reference_of_id), so the INSERT writes it and no UPDATE follows. The values are the same as before: the column is
dropped and added again, computed for every existing row."""

import django.db.models.functions.comparison
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0004_drop_settings_trigger"),
    ]

    operations = [
        migrations.RemoveField(model_name="returnrequest", name="reference"),
        migrations.AddField(
            model_name="returnrequest",
            name="reference",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Concat(
                    models.Value("R-"),
                    models.Case(
                        models.When(
                            id__lt=1000000,
                            then=django.db.models.functions.text.LPad(
                                django.db.models.functions.comparison.Cast("id", models.CharField()),
                                6,
                                models.Value("0"),
                            ),
                        ),
                        default=django.db.models.functions.comparison.Cast("id", models.CharField()),
                    ),
                    output_field=models.CharField(),
                ),
                output_field=models.CharField(max_length=20),
                unique=True,
                verbose_name="reference",
            ),
        ),
    ]
