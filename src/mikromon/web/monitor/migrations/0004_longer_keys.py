"""Series.key holds 255 characters (metric keys with long router-supplied health
sensor names; the storage shortens longer ones to a prefix and a digest)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0003_health_states_bad_values'),
    ]

    operations = [
        migrations.AlterField(
            model_name='series',
            name='key',
            field=models.CharField(max_length=255),
        ),
    ]
