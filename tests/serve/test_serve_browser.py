"""The web page in Debian's Chromium (Playwright): project, drag-and-drop, readiness, train, download, try.

Screenshots go to the test's tmp folder and, when $SOUNDRY_ARTIFACTS is set, to
``$SOUNDRY_ARTIFACTS/serve/``.
"""

import base64
import os
import shutil
import zipfile

import pytest
from serve_helpers import save_artifact, wait_for, wav_bytes

from soundry.serve.launch import ServerProcess

CHROMIUM = os.environ.get("SOUNDRY_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

DROP_FILES = """(files) => {
  const dt = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
    const file = new File([bytes], f.name, { type: "audio/wav" });
    // what a folder drop or a folder picker gives: the path below the dropped folder
    Object.defineProperty(file, "webkitRelativePath", { value: f.path });
    dt.items.add(file);
  }
  return dt;
}"""


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (`make test` installs Debian's chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def test_the_web_page_trains_a_model_from_dropped_folders(browser, tmp_path, tiny_corpus):
    from playwright.sync_api import expect

    shots = tmp_path / "screenshots"
    shots.mkdir()

    def shot(page, name):
        path = shots / f"serve-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        save_artifact(path)

    allowed = tmp_path / "allowed"
    first_label = sorted(p.name for p in tiny_corpus.iterdir() if p.is_dir())[0]
    (allowed / "more" / first_label).mkdir(parents=True)
    (allowed / "more" / first_label / "extra.wav").write_bytes(wav_bytes(1.5, 330.0, seed=7))
    server = ServerProcess(tmp_path / "home", args=["--import-root", str(allowed)]).start()
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        page.set_default_timeout(30000)
        foreign = []
        page.on("request", lambda r: None if r.url.startswith((server.url, "blob:", "data:")) else foreign.append(r.url))
        blocked = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{server.url}/#token=not-the-token")
        page.wait_for_selector("#token-box:not(.hidden)")
        expect(page.locator("#message-text")).to_contain_text("401: wrong token")
        assert "token=" not in page.url  # the token leaves the address bar at once
        page.fill("#token-input", server.token)
        page.click("#token-save")
        page.wait_for_selector("#main:not(.hidden)")
        assert page.locator("#message").is_hidden()

        page.fill("#project-name", "speakers")
        page.select_option("#project-recipe", "classify")
        page.click("#project-create")
        page.wait_for_selector("#project-view:not(.hidden)")
        shot(page, "01-project")

        files = [{"name": f.name, "path": f"data/{f.parent.name}/{f.name}",
                  "data": base64.b64encode(f.read_bytes()).decode()} for f in sorted(tiny_corpus.glob("*/*.wav"))]
        dt = page.evaluate_handle(DROP_FILES, files)
        page.dispatch_event("#dropzone", "dragover", {"dataTransfer": dt})
        page.dispatch_event("#dropzone", "drop", {"dataTransfer": dt})
        expect(page.locator("#upload-status")).to_contain_text("8 added", timeout=60000)
        assert page.locator("#samples-table tbody tr").count() == 8
        labels = set(page.locator("#samples-table tbody tr td:first-child").all_inner_texts())
        assert labels == {p.name for p in tiny_corpus.iterdir() if p.is_dir()}
        shot(page, "02-samples")

        # relabel a sample (a prompt asks for the new label), then put it back
        row_id = page.locator("#samples-table tbody tr").first.get_attribute("data-id")
        row = page.locator(f'#samples-table tbody tr[data-id="{row_id}"]')
        old = row.locator("td").first.inner_text()
        page.once("dialog", lambda d: d.accept("renamed"))
        row.locator("button.relabel").click()
        expect(row.locator("td").first).to_have_text("renamed")
        page.once("dialog", lambda d: d.accept(old))
        row.locator("button.relabel").click()
        expect(row.locator("td").first).to_have_text(old)

        # a server folder: refused outside the allowed roots, imported under one
        page.fill("#import-folder", str(tmp_path / "home"))
        page.click("#import-button")
        page.wait_for_selector("#message:not(.hidden)")
        assert "import" in page.inner_text("#message-text").lower()
        page.click("#message-close")
        page.fill("#import-folder", str(allowed / "more"))
        page.click("#import-button")
        expect(page.locator("#upload-status")).to_contain_text("imported: 1 added")
        expect(page.locator("#samples-table tbody tr")).to_have_count(9)

        page.set_input_files("#file-input", files=[{"name": "notes.wav", "mimeType": "audio/wav",
                                                    "buffer": b"this is not audio"}])
        page.wait_for_selector("#message:not(.hidden)")
        assert "not a readable audio file" in page.inner_text("#message-text")
        page.click("#message-close")

        page.select_option("#preset-select", "tiny")
        page.click("#readiness-check")
        expect(page.locator("#readiness-verdict")).to_have_text("Ready to train", timeout=60000)
        assert page.locator("#readiness-table tbody tr").count() == len(labels)
        shot(page, "03-readiness")

        page.fill("#overrides-input", "train.steps=40 train.eval_every=20 train.checkpoint_every=10")
        page.click("#train-button")
        page.wait_for_selector("#job-panel:not(.hidden)")
        seen = set()

        def finished():
            value = page.get_attribute("#progress", "aria-valuenow")
            if value is not None:
                seen.add(float(value))
            state = page.inner_text("#job-state")
            if state == "training" and "mid" not in seen_shots and 0 < float(value or 0) < 100:
                seen_shots.add("mid")
                shot(page, "04-training")
            return state in ("succeeded", "failed", "cancelled", "interrupted") and state

        seen_shots = set()
        state = wait_for(finished, 240, every=0.1, what="the job to end in the page")
        assert state == "succeeded", page.inner_text("#job-error")
        assert 100.0 in seen and any(0 < v < 100 for v in seen), seen
        page.wait_for_selector("#results:not(.hidden)")
        shot(page, "05-done")

        with page.expect_download() as download:
            page.click("#download-bundle")
        bundle = tmp_path / "bundle.zip"
        download.value.save_as(bundle)
        assert any(n.endswith("/meta.json") for n in zipfile.ZipFile(bundle).namelist())

        clip = sorted(tiny_corpus.glob("*/*.wav"))[0]
        page.set_input_files("#try-input", str(clip))
        page.wait_for_selector("#try-label")
        assert page.inner_text("#try-label") in labels
        assert page.locator("#try-result .prob").count() == len(labels)
        shot(page, "06-try")
        assert not foreign, f"the page fetched from elsewhere: {foreign}"
        assert not blocked, f"the page broke its own Content-Security-Policy: {blocked}"
    finally:
        server.stop()
        save_artifact(tmp_path / "home" / "server.log")
