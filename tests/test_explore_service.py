"""How `kehoach explore` runs Voilà: address, token, Host check, culling and the pre-warmed kernel (the browser test runs it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kehoach.core.errors import UsageError
from kehoach.explore import script, service

BUNDLE = Path("/ws/reports/.cache/explore/voila/templates/kehoach/static/vega-1.9.0-v6_4.js")


def test_on_this_machine_no_token_and_the_host_checked(plan, tmp_path):
    launch = service.voila_command(plan, tmp_path, BUNDLE, "127.0.0.1", 8866)
    assert launch.url == "http://127.0.0.1:8866/"
    assert not [a for a in launch.command if a.startswith("--") and ("token" in a or "allow_remote_access" in a)]
    assert f"--Voila.config_file_paths={service.CONFIG}" in launch.command
    assert ("--VoilaConfiguration.resources=kehoach_title=Theo dõi kế hoạch phát triển kinh tế - xã hội năm 2026 "
            "— phường Phan Đình Phùng") in launch.command
    assert "--VoilaConfiguration.resources=kehoach_vega=vega-1.9.0-v6_4.js" in launch.command
    assert launch.env["JUPYTER_PATH"].split(":")[:2] == [str(service.SHARE), "/ws/reports/.cache/explore"]


def test_elsewhere_a_token_is_required(plan, tmp_path):
    made = service.voila_command(plan, tmp_path, BUNDLE, "0.0.0.0", 8866)
    token = made.url.split("token=")[1]
    assert len(token) >= 30 and f"--Voila.token={token}" in made.command
    assert '--Voila.tornado_settings={"allow_remote_access": true}' in made.command
    given = service.voila_command(plan, tmp_path, BUNDLE, "192.168.1.10", 9000, token="bi-mat")
    assert given.url == "http://192.168.1.10:9000/?token=bi-mat" and "--Voila.token=bi-mat" in given.command
    with pytest.raises(UsageError, match="Địa chỉ “may-chu” không hợp lệ"):
        service.voila_command(plan, tmp_path, BUNDLE, "may-chu", 8866)


def test_the_apps_configuration():
    config = json.loads((service.CONFIG / "voila.json").read_text(encoding="utf-8"))
    assert config["VoilaConfiguration"]["preheat_kernel"] is True and config["VoilaConfiguration"]["default_pool_size"] == 1
    assert config["VoilaConfiguration"]["multi_kernel_manager_class"] == "kehoach.explore.service.AppKernelManager"
    assert config["MappingKernelManager"] == {"cull_idle_timeout": 60, "cull_interval": 10, "cull_connected": False,
                                              "cull_busy": False}
    assert config["Voila"]["tornado_settings"]["allow_remote_access"] is False
    assert config["Voila"]["identity_provider_class"] == "kehoach.explore.service.PageIdentity"


def test_the_page_template_loads_the_bundle_voila_serves():
    page = (service.SHARE / "voila" / "templates" / "kehoach" / "index.html.j2").read_text(encoding="utf-8")
    assert ('<script type="module" src="{{ resources.base_url }}voila/static/{{ resources.kehoach_vega | urlencode }}">'
            in page)
    assert script.served_from(BUNDLE) / script.STATIC / BUNDLE.name == BUNDLE


def test_the_widget_takes_the_libraries_from_the_page_in_voila():
    module = script.widget_module(in_page=True)
    assert module.startswith("const { vegaEmbed, lodashDebounce } = window.kehoachVega\n")
    assert "async function render({ model, el })" in module and "export default { render }" in module
    assert "esm.sh" not in module and "import " not in module.split("\n", 3)[2]


def test_in_lab_the_widget_carries_the_bundle_made_once(monkeypatch, tmp_path):
    monkeypatch.setenv("KEHOACH_ROOT", str(tmp_path))
    made = tmp_path / "reports" / ".cache" / "explore" / script.STATIC / script.bundle_name()
    made.parent.mkdir(parents=True)
    made.write_text("window.kehoachVega = { vegaEmbed: 1, lodashDebounce: 2 };", encoding="utf-8")
    assert script.ensure_bundle() == made  # present: read, not made again
    module = script.widget_module(in_page=False)
    assert module.startswith("{\nwindow.kehoachVega = { vegaEmbed: 1, lodashDebounce: 2 };\n}\nconst { vegaEmbed")
