"""How `kehoach explore` runs Voilà: address, token, Host check, culling and the pre-warmed kernel (the browser test runs it)."""

from __future__ import annotations

import json

import pytest

from kehoach.core.errors import UsageError
from kehoach.explore import service


def test_on_this_machine_no_token_and_the_host_checked(plan, tmp_path):
    launch = service.voila_command(plan, tmp_path, "127.0.0.1", 8866)
    assert launch.url == "http://127.0.0.1:8866/"
    assert not [a for a in launch.command if a.startswith("--") and ("token" in a or "allow_remote_access" in a)]
    assert f"--Voila.config_file_paths={service.CONFIG}" in launch.command
    assert ("--VoilaConfiguration.resources=kehoach_title=Theo dõi kế hoạch phát triển kinh tế - xã hội năm 2026 "
            "— phường Phan Đình Phùng") in launch.command
    assert launch.env["JUPYTER_PATH"].split(":")[0] == str(service.SHARE)


def test_elsewhere_a_token_is_required(plan, tmp_path):
    made = service.voila_command(plan, tmp_path, "0.0.0.0", 8866)
    token = made.url.split("token=")[1]
    assert len(token) >= 30 and f"--Voila.token={token}" in made.command
    assert '--Voila.tornado_settings={"allow_remote_access": true}' in made.command
    given = service.voila_command(plan, tmp_path, "192.168.1.10", 9000, token="bi-mat")
    assert given.url == "http://192.168.1.10:9000/?token=bi-mat" and "--Voila.token=bi-mat" in given.command
    with pytest.raises(UsageError, match="Địa chỉ “may-chu” không hợp lệ"):
        service.voila_command(plan, tmp_path, "may-chu", 8866)


def test_the_apps_configuration():
    config = json.loads((service.CONFIG / "voila.json").read_text(encoding="utf-8"))
    assert config["VoilaConfiguration"]["preheat_kernel"] is True and config["VoilaConfiguration"]["default_pool_size"] == 1
    assert config["MappingKernelManager"] == {"cull_idle_timeout": 60, "cull_interval": 10, "cull_connected": False,
                                              "cull_busy": False}
    assert config["Voila"]["tornado_settings"]["allow_remote_access"] is False
    assert config["Voila"]["identity_provider_class"] == "kehoach.explore.service.PageIdentity"
