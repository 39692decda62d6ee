"""The web gallery in a real headless Chromium, driven as a member uses it.

Run by GalleryBrowserTests with a started tackd: signs fred in through the form, opens the room, filters it with
the platform's syntax (and sees a bad query's error at its position, and the passage a phrase was found in), opens a preview and moves and closes it from
the keyboard, drops a file on the page, and sees carol's upload appear without reloading. Saves a screenshot of the
page. Chromium resolves no host name and reaches nothing but 127.0.0.1 (tackd) and 127.0.0.2 (a page of "another site").
"""
import argparse
import base64
import http.server
import threading
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import WebDriverWait

# A 40x30 red PNG, the file dropped on the page.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAIAAADRv8uKAAAAK0lEQVR4nO3NMQ0AAAgDsMmZfxXIQgYcTfo3056IWCwWi8VisVgsFov/xguJMCDM2TzTeAAAAABJRU5ErkJggg==")


def api(base, token, method, path, body=None, headers=None):
    request = urllib.request.Request(base + path, data=body, method=method, headers={"Authorization": "Bearer " + token,
                                                                                       **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def main():
    parser = argparse.ArgumentParser()
    for name in ["base", "fred", "carol", "room", "artifacts"]:
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                 "--no-pings", "--dns-prefetch-disable",
                 # No name resolves and no proxy is used: the only reachable place is the tackd on 127.0.0.1.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2", "--no-proxy-server"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    # The page changes under the test (live events re-render tiles and tabs): an element gone stale is looked up again.
    wait = WebDriverWait(driver, 60, ignored_exceptions=[StaleElementReferenceException])
    try:
        run(driver, wait, args)
    except Exception:
        driver.save_screenshot(os.path.join(args.artifacts, "gallery-failure.png"))
        print("page at failure:", driver.current_url, driver.find_element(By.TAG_NAME, "body").text[:2000], file=sys.stderr)
        raise
    finally:
        driver.quit()


def sign_in(driver, token):
    field = driver.find_element(By.ID, "token")
    field.send_keys(token)
    field.send_keys(Keys.ENTER)


def tiles(driver):
    # Read in one script: tiles come and go live, and an element found a moment ago may be gone when read.
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#grid .tile .name'), (name) => name.textContent)")


def run(driver, wait, args):
    room_page = args.base + "/rooms/" + args.room
    # Sign in on the front page, then open the room from the list of rooms.
    driver.get(args.base + "/")
    wait.until(lambda d: d.find_elements(By.ID, "token"))
    assert driver.find_element(By.CSS_SELECTOR, "label[for=token]").text, "the token field has a label"
    sign_in(driver, args.fred)
    wait.until(lambda d: d.find_elements(By.LINK_TEXT, "Room for Project A"))
    driver.find_element(By.LINK_TEXT, "Room for Project A").click()
    wait.until(lambda d: d.current_url.startswith(room_page))
    wait.until(lambda d: "dune.jpg" in tiles(d))
    wait.until(lambda d: d.find_element(By.ID, "room-name").text == "Room for Project A")
    assert set(tiles(driver)) == {"dune.jpg", "notes.txt", "draft.txt"}, tiles(driver)
    driver.execute_script("window.notReloaded = true")

    # Filter with the platform's syntax; the type tabs count the same query.
    search = driver.find_element(By.ID, "q")
    ActionChains(driver).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("f").key_up(Keys.SHIFT).key_up(Keys.CONTROL).perform()
    assert driver.execute_script("return document.activeElement.id") == "q", "Ctrl+Shift+F focuses the search"
    search.send_keys("from:carol type:image", Keys.ENTER)
    wait.until(lambda d: tiles(d) == ["dune.jpg"])
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[role=tab][aria-selected=true]").text.startswith("All (1)"))
    assert "q=from%3Acarol" in driver.current_url
    # A phrase found inside a file shows the passage, the phrase marked (the text is read in the background).
    search.clear()
    search.send_keys('"penalty clause"', Keys.ENTER)
    wait.until(lambda d: tiles(d) == ["notes.txt"] and d.execute_script(
        "return Array.from(document.querySelectorAll('#grid .snippet mark'), (m) => m.textContent)") == ["penalty clause"])
    passage = driver.find_element(By.CSS_SELECTOR, "#grid .snippet").text
    assert passage == "Minutes of the kickoff. The penalty clause applies after thirty days.", passage
    search.clear()
    search.send_keys("before:2015-05-01", Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "q-error").is_displayed())
    error = driver.find_element(By.ID, "q-error")
    assert "yyyyMMdd" in error.text, error.text
    assert error.find_element(By.TAG_NAME, "mark").text == "2", "the error marks the character it is about"
    assert search.get_attribute("aria-invalid") == "true"
    search.clear()
    search.send_keys(Keys.ENTER)
    wait.until(lambda d: len(tiles(d)) == 3)
    # The tabs are a filter too.
    driver.find_element(By.CSS_SELECTOR, "[role=tab][data-type=document]").click()
    wait.until(lambda d: sorted(tiles(d)) == ["draft.txt", "notes.txt"])
    driver.find_element(By.CSS_SELECTOR, "[role=tab][data-type='']").click()
    wait.until(lambda d: len(tiles(d)) == 3)
    # The tabs are one stop in the focus order; the arrow keys move between them.
    driver.execute_script("document.querySelector('[role=tab][aria-selected=true]').focus()")
    ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
    assert driver.execute_script("return document.activeElement.dataset.type") == "image", "Right moves to the next tab"

    # The preview: the image full size, the arrows move, Esc closes and gives the focus back.
    driver.find_element(By.CSS_SELECTOR, "#grid li[data-id] button[aria-label^='dune.jpg']").click()
    wait.until(lambda d: d.find_element(By.ID, "preview").get_attribute("open") is not None)
    image = driver.find_element(By.CSS_SELECTOR, "#preview-body img")
    wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
    title = lambda: driver.find_element(By.ID, "preview-title").text
    assert title() == "dune.jpg"
    # dune.jpg is the oldest, last in the grid: Left goes to the newer file beside it, Right comes back.
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    wait.until(lambda d: title() == "notes.txt")
    assert driver.find_elements(By.CSS_SELECTOR, "#preview-body a[download]"), "a file that is not an image is a download"
    ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
    wait.until(lambda d: title() == "dune.jpg")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait.until(lambda d: d.find_element(By.ID, "preview").get_attribute("open") is None)
    assert "dune.jpg" in driver.execute_script("return document.activeElement.getAttribute('aria-label')")

    # Drag and drop: a file dropped on the page goes into the room, with the progress bar on the way.
    driver.execute_script("""
        const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
        for (const kind of ['dragenter', 'dragover', 'drop']) {
          document.getElementById('drop').dispatchEvent(new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }
    """, base64.b64encode(PNG).decode())
    wait.until(lambda d: "dropped.png" in tiles(d))
    stored = api(args.base, args.fred, "GET", "/v1/rooms/%s/attachments?q=name%%3Adropped" % args.room)["items"]
    assert [item["name"] for item in stored] == ["dropped.png"] and stored[0]["uploader"] == "fred", stored

    # A pasted image goes in too, named for when it was pasted.
    driver.execute_script("""
        const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes, new Uint8Array([1])], 'image.png', { type: 'image/png' }));
        document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    """, base64.b64encode(PNG).decode())
    wait.until(lambda d: any(name.startswith("pasted-") and name.endswith(".png") for name in tiles(d)))

    # Another member's upload appears without a reload, its thumbnail once made.
    api(args.base, args.carol, "POST", "/v1/rooms/%s/attachments?name=live.png" % args.room, body=PNG + b"\x00",
        headers={"Content-Type": "image/png"})
    wait.until(lambda d: "live.png" in tiles(d))
    assert tiles(driver)[0] == "live.png", tiles(driver)
    assert driver.execute_script("return window.notReloaded") is True, "the page was not reloaded"
    wait.until(lambda d: d.execute_script(
        "const img = document.querySelector('#grid li:first-child img'); return img && img.complete && img.naturalWidth"))
    # Deleted files disappear too.
    live = api(args.base, args.carol, "GET", "/v1/rooms/%s/attachments?q=name%%3Alive" % args.room)["items"][0]
    request = urllib.request.Request(args.base + "/v1/attachments/" + live["id"], method="DELETE",
                                     headers={"Authorization": "Bearer " + args.carol})
    urllib.request.urlopen(request, timeout=30).read()
    wait.until(lambda d: "live.png" not in tiles(d))

    driver.save_screenshot(os.path.join(args.artifacts, "gallery.png"))

    # The link tack prints after an upload opens the file's preview on its room's page.
    dune = api(args.base, args.fred, "GET", "/v1/rooms/%s/attachments?q=name%%3Adune" % args.room)["items"][0]
    driver.get(args.base + "/attachments/" + dune["id"])
    wait.until(lambda d: d.find_element(By.ID, "preview").get_attribute("open") is not None)
    assert driver.find_element(By.ID, "preview-title").text == "dune.jpg"
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    # The same link in another web app (a page on 127.0.0.2, another site): the browser does not send the
    # SameSite=Strict cookie with that navigation, yet a signed-in member still lands on the file, not the form.
    link = args.base + "/attachments/" + dune["id"]
    page = ('<!doctype html><title>chat</title><a id="go" href="%s">the shot</a>' % link).encode()

    class Chat(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    chat = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Chat)
    threading.Thread(target=chat.serve_forever, daemon=True).start()
    try:
        driver.get("http://127.0.0.2:%d/" % chat.server_address[1])
        driver.find_element(By.ID, "go").click()
        wait.until(lambda d: d.find_element(By.ID, "preview").get_attribute("open") is not None)
        assert driver.find_element(By.ID, "preview-title").text == "dune.jpg"
    finally:
        chat.shutdown()
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    # Alt+Down and Alt+Up move between rooms.
    rooms = api(args.base, args.fred, "GET", "/v1/rooms")["items"]
    assert len(rooms) == 2, rooms
    driver.get(room_page)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rooms a")) == 2)
    ActionChains(driver).key_down(Keys.ALT).send_keys(Keys.ARROW_DOWN).key_up(Keys.ALT).perform()
    wait.until(lambda d: d.current_url.split("?")[0] != room_page)
    wait.until(lambda d: d.find_element(By.ID, "room-name").text in ("Design Review", "Room for Project A"))
    ActionChains(driver).key_down(Keys.ALT).send_keys(Keys.ARROW_UP).key_up(Keys.ALT).perform()
    wait.until(lambda d: d.current_url.split("?")[0] == room_page)

    # Signing out ends the session: the room's page asks for a token again, and goes back to the room after it.
    driver.find_element(By.ID, "sign-out").click()
    wait.until(lambda d: d.find_elements(By.ID, "token"))
    driver.get(room_page)
    wait.until(lambda d: d.find_elements(By.ID, "token"))
    sign_in(driver, args.fred)
    wait.until(lambda d: d.current_url.startswith(room_page) and "dune.jpg" in tiles(d))
    print("gallery: signed in, filtered, previewed, dropped, pasted, saw a live upload and a deletion, changed rooms, signed out")


if __name__ == "__main__":
    main()
