# Staff API tokens stored hashed (tickets.StaffToken); DRF's authtoken, which stored them in clear, is gone.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forget_authtoken(apps, schema_editor):
    # rest_framework.authtoken is no longer installed: its content types and permissions go with it (the ORM
    # cascades to the permissions and to whoever held them).
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label="authtoken").delete()


# The clear-text tokens themselves. Raw SQL because the app that owned the table is not installed any more, so no
# model can name it; forgetting its migrations lets a later install of authtoken create the table anew.
DROP_AUTHTOKEN = [
    "DROP TABLE IF EXISTS authtoken_token",
    "DELETE FROM django_migrations WHERE app = 'authtoken'",
]


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0016_one_simple_core'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='StaffToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('prefix', models.CharField(max_length=16, unique=True, verbose_name='prefix')),
                ('hashed_key', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='staff_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'staff API token',
                'verbose_name_plural': 'staff API tokens',
                'constraints': [models.UniqueConstraint(condition=models.Q(('revoked_at__isnull', True)), fields=('user',), name='staff_token_one_active_per_user')],
            },
        ),
        migrations.RunPython(forget_authtoken, migrations.RunPython.noop),
        migrations.RunSQL(DROP_AUTHTOKEN, migrations.RunSQL.noop),
    ]
