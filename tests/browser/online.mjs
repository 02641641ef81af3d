// A participant of an online exchange in a real browser (Debian's headless Chromium,
// driven by playwright-core), while the exchange is on: from their personal page they
// join (their join link leads the browser to the organisers' current meeting, whose host is
// not reachable from tests: the request for it is what is checked), then answer the survey
// by keyboard and find their answer kept. Run by tests/tests/browser.rs against a running
// stack, with the exchange moved into its window.
//
// Usage: node online.mjs MANAGE_LINK MEETING_URL [SCREENSHOT_DIR]
// Exits non-zero, saying what failed, when any step does not show what it should.

import { join } from "node:path";
import { chromium } from "playwright-core";

const [manageLink, meetingUrl, screenshotDir] = process.argv.slice(2);

function check(condition, what) {
  if (!condition) throw new Error(`browser online: ${what}`);
}

async function shot(page, name) {
  if (screenshotDir) await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const joining = await browser.newPage({ viewport: { width: 420, height: 900 } });

  // 1. The personal page offers to join, and joining opens the current meeting.
  await joining.goto(manageLink);
  const joinLink = joining.locator(`a[href$="/join"]`);
  check((await joinLink.count()) === 1, "the personal page offers no way to join");
  await shot(joining, "manage-online");
  // The meeting's host is not reachable from tests: what matters is that the browser,
  // following the redirects, asks for the organisers' current meeting URL.
  await joinLink.focus();
  const [meeting] = await Promise.all([
    joining.waitForRequest((request) => request.url() === meetingUrl && request.isNavigationRequest()),
    joining.keyboard.press("Enter"),
  ]);
  check(meeting.url() === meetingUrl, `joining asked for ${meeting.url()}, not the meeting`);
  // That tab is left to the unreachable meeting's error page; the survey opens in another.
  await joining.close();
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } });

  // 2. The survey, every field labelled, answered by keyboard.
  await page.goto(`${manageLink}/survey`);
  for (const id of ["rating-1", "rating-5", "rating", "most_useful", "should_change", "may_name"]) {
    check((await page.locator(`label[for="${id}"]`).count()) === 1, `the survey's ${id} has no label`);
  }
  await page.focus("#rating-4");
  await page.keyboard.press("Space");
  await page.fill("#most_useful", "Hearing how other ministries run case management.");
  await page.focus("#may_name");
  await page.keyboard.press("Space");
  await shot(page, "survey");
  await page.click("button[type=submit]");
  await page.waitForSelector("h1");
  check((await page.textContent("h1")).includes("Thank you for your feedback"), "answering did not say so");

  // 3. Back on the survey, the answer is there to change.
  await page.goto(`${manageLink}/survey`);
  check(await page.isChecked("#rating-4"), "the rating given is not shown");
  check((await page.inputValue("#most_useful")).includes("case management"), "the text given is not shown");
  check(await page.isChecked("#may_name"), "the leave to be named is not shown");
  console.log("browser online: joined the meeting from the personal page, answered the survey and found the answer kept");
} finally {
  await browser.close();
}
