# Issue 14 items 4 and 5: the second factor moves to django-otp devices, API tokens to knox.

import base64
import binascii

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def secrets_to_devices(apps, schema_editor):
    """Every account that had TOTP on keeps its factor: its secret (base32, decrypted by the
    historical EncryptedTextField) becomes a confirmed TOTPDevice with the same key, 6 digits,
    30 s, so the authenticator app already on the phone goes on working."""
    User = apps.get_model("org", "User")
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for user in User.objects.filter(totp_enabled=True).iterator():
        secret = (user.totp_secret or "").strip().replace(" ", "").upper()
        if not secret:
            continue
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        TOTPDevice.objects.create(user_id=user.pk, name="验证器", confirmed=True,
                                  key=binascii.hexlify(key).decode(), step=30, t0=0, digits=6,
                                  tolerance=1, drift=0, last_t=-1)


def devices_to_secrets(apps, schema_editor):
    User = apps.get_model("org", "User")
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for device in TOTPDevice.objects.filter(confirmed=True).order_by("id"):
        secret = base64.b32encode(binascii.unhexlify(device.key)).decode().rstrip("=")
        User.objects.filter(pk=device.user_id).update(totp_secret=secret, totp_enabled=True)


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0002_user_totp'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.RunPython(secrets_to_devices, devices_to_secrets),
        migrations.RemoveField(
            model_name='user',
            name='totp_enabled',
        ),
        migrations.RemoveField(
            model_name='user',
            name='totp_secret',
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('digest', models.CharField(max_length=128, primary_key=True, serialize=False)),
                ('token_key', models.CharField(db_index=True, max_length=25)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('expiry', models.DateTimeField(blank=True, null=True)),
                ('name', models.CharField(blank=True, max_length=60, verbose_name='用途')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auth_token_set', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '接口令牌',
                'verbose_name_plural': '接口令牌',
                'ordering': ['-created'],
            },
        ),
    ]
