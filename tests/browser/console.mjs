// The organisers' console in a real browser (Debian's headless Chromium, driven by
// playwright-core): a console admin signs in with the link read from the email the SMTP
// server received, creates an exchange that needs approval, approves a participant who
// registered through the public form (one at a time, then the ticked ones together); an
// organiser follows the link in the email about a co-sponsorship offer, signs in on the
// way and accepts it; the CSV lists the participant. On the way it checks what a person
// with a keyboard, a screen reader or a phone meets: labels, Tab reaching every control
// with a visible focus, no horizontal scroll at 375 px, and axe-core's checks (contrast
// among them). Run by tests/tests/browser.rs against a running stack.
//
// Usage: node console.mjs BASE_URL MAIL_DIR ADMIN_EMAIL ORGANISER_EMAIL [SCREENSHOT_DIR]
// Exits non-zero, saying what failed, when any step does not show what it should. Its last
// line is `console flow: {json}` naming what it made, for the Rust test to check behind it.

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [baseUrl, mailDir, admin, organiser, screenshotDir] = process.argv.slice(2);
// Each run has a database of its own: the names need not differ from one run to the next.
const slug = "case-management-2027";
const title = "Peer exchange on case management";
const participant = { name: "Amina Diallo", email: "amina.diallo@interieur.example.sn" };
const sponsor = { organisation: "Ministry of Justice of Ghana", email: "kofi.boateng@justice.example.gh" };
const PHONE = { width: 375, height: 740 };
// At 1024 px and wider the console's pages are as wide as they get (64rem).
const DESKTOP = { width: 1024, height: 768 };

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function check(condition, what) {
  if (!condition) throw new Error(`console flow: ${what}`);
}

/// Saves `name.png`: the viewport, or the part of the page from `from` down to `to` (CSS
/// selectors; `to` absent: `from`'s own box).
async function shot(page, name, from, to) {
  if (!screenshotDir) return;
  const path = join(screenshotDir, `${name}.png`);
  if (!from) return page.screenshot({ path });
  await page.evaluate(() => window.scrollTo(0, 0));
  const top = await page.locator(from).boundingBox();
  const bottom = to ? (await page.locator(to).boundingBox()).y : top.y + top.height;
  const width = page.viewportSize().width;
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: Math.max(top.y - 12, 0), width, height: bottom - top.y + 12 } });
}

// Undo quoted-printable soft line breaks and escapes, enough to find a URL in the text.
function decodeQuotedPrintable(text) {
  return text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/// The first link matching `pattern` in an email to `address` that is not in `seen`.
async function linkFromMail(address, pattern, seen = []) {
  for (let i = 0; i < 300; i++) {
    for (const file of readdirSync(mailDir).filter((f) => f.endsWith(".eml"))) {
      const text = decodeQuotedPrintable(readFileSync(join(mailDir, file), "utf8"));
      if (!new RegExp(`^To:.*${address.replace(/[.+]/g, "\\$&")}`, "mi").test(text)) continue;
      const link = text.match(pattern)?.[0];
      if (link && !seen.includes(link)) return link;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`console flow: no email to ${address} with a link like ${pattern} within 30 s`);
}

const SIGN_IN_LINK = /https?:\/\/\S+\/console\/sign-in\/[A-Za-z0-9_-]+/;

/// Signs in on the sign-in page `page` shows, as `address`, by keyboard; returns the page
/// the link lands on.
async function signIn(page, address) {
  check((await page.textContent("h1")).includes("Organisers' console"), "no sign-in page");
  await page.focus("#email");
  await page.keyboard.type(address);
  await page.keyboard.press("Enter");
  await page.waitForSelector("p[role=status]");
  check((await page.textContent("main")).includes("a link to sign in is on its way"), "asking for a link did not say it is on its way");
  const link = await linkFromMail(address, SIGN_IN_LINK);
  // Opening the link shows a button (a mail scanner opening it spends nothing).
  await page.goto(link);
  check((await page.textContent("h1")).includes("Sign in to the organisers' console"), "the emailed link does not offer to sign in");
  await checkPhoneWidth(page, "the page of the sign-in link");
  await page.click("button[type=submit]");
  await page.waitForSelector(".console-bar");
  check((await page.textContent(".console-bar")).includes(`Signed in as ${address}`), `the console does not say who is signed in (${address})`);
}

/// No horizontal scroll on a phone: the page is no wider than 375 px.
async function checkPhoneWidth(page, what) {
  const before = page.viewportSize();
  await page.setViewportSize(PHONE);
  const { scroll, client, widest } = await page.evaluate(() => {
    const root = document.documentElement;
    // What sticks out, to say so when it does.
    const widest = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1 && !e.closest(".table-wrap"))
      .slice(0, 3)
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}"> ${e.textContent.replace(/\s+/g, " ").trim().slice(0, 40)}`);
    return { scroll: root.scrollWidth, client: root.clientWidth, widest };
  });
  check(scroll <= client, `${what} scrolls sideways on a phone (${scroll} px wide in ${client} px): ${widest.join("; ")}`);
  await page.setViewportSize(before);
}

/// axe-core's WCAG 2.1 A and AA checks (labels, names, contrast, landmarks…): none fails.
/// Evaluated through the DevTools protocol, which the pages' CSP does not govern.
async function checkAxe(page, what) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.map((v) => `${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  check(violations.length === 0, `${what} fails accessibility checks:\n  ${violations.join("\n  ")}`);
}

/// Every form control the person can reach has a label, an accessible name of its own.
async function checkLabels(page, what) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((e) => e.type !== "hidden" && e.tabIndex >= 0 && e.labels.length === 0 && !e.getAttribute("aria-label"))
      .map((e) => e.id || e.name),
  );
  check(unlabelled.length === 0, `${what}: controls without a label: ${unlabelled.join(", ")}`);
}

/// Presses Tab from the top of the page until focus comes round again; returns what was
/// focused, each with whether its focus is visible (an outline that is not none and not
/// nil width, in a colour other than the background).
async function tabThrough(page) {
  // A fresh load: the first Tab starts from the top of the page.
  await page.reload();
  const reached = [];
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const style = getComputedStyle(e);
      const label = e.labels?.[0]?.textContent ?? "";
      return {
        key: `${e.tagName.toLowerCase()}#${e.id}|${e.getAttribute("aria-label") ?? ""}|${(e.textContent || label).trim().slice(0, 60)}|${e.getAttribute("href") ?? e.getAttribute("formaction") ?? e.closest("form")?.getAttribute("action") ?? ""}`,
        visible: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 && style.outlineColor !== style.backgroundColor,
        outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      };
    });
    if (!focused) break;
    if (reached.length > 0 && focused.key === reached[0].key) break;
    reached.push(focused);
  }
  return reached;
}

/// Tab reaches each control `wanted` names (a part of its key: tag#id|label|text|target),
/// and every focused control shows it.
async function checkKeyboard(page, what, wanted) {
  const reached = await tabThrough(page);
  for (const want of wanted) {
    check(reached.some((r) => r.key.includes(want)), `${what}: Tab never reaches "${want}"; it reaches:\n  ${reached.map((r) => r.key).join("\n  ")}`);
  }
  const hidden = reached.filter((r) => !r.visible);
  check(hidden.length === 0, `${what}: focus is not visible on ${hidden.map((r) => `${r.key} (${r.outline})`).join(", ")}`);
  return reached.length;
}

/// A date and time `days` from now, as a datetime-local field takes it.
function localInput(days, hour) {
  const d = new Date(Date.now() + days * 86400000);
  return `${d.toISOString().slice(0, 10)}T${String(hour).padStart(2, "0")}:00`;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  // 1. The sign-in page, on a phone: one labelled field, reached and submitted by keyboard.
  const adminContext = await browser.newContext({ viewport: PHONE, acceptDownloads: true });
  const page = await adminContext.newPage();
  await page.goto(`${baseUrl}/console`);
  await checkLabels(page, "the sign-in page");
  await checkAxe(page, "the sign-in page");
  await checkPhoneWidth(page, "the sign-in page");
  await checkKeyboard(page, "the sign-in page", ["input#email", "Email me a sign-in link"]);
  await shot(page, "console-sign-in");
  await signIn(page, admin);

  // 2. My exchanges: a console admin may create one.
  await page.setViewportSize(DESKTOP);
  check(new URL(page.url()).pathname === "/console", `signing in landed on ${page.url()}, not /console`);
  check((await page.textContent("h1")) === "My exchanges", "signing in does not show My exchanges");
  check((await page.textContent("main")).includes("As a console admin you see every exchange"), "the admin is not told they see every exchange");
  await checkAxe(page, "My exchanges");
  await checkPhoneWidth(page, "My exchanges");

  // 3. The form to create an exchange: sent empty, it says what is missing beside each
  //    field; filled in, it creates the exchange.
  await page.click("text=New exchange");
  await page.waitForSelector("form.exchange-form");
  check((await page.textContent("h1")) === "New exchange", "New exchange does not open the form");
  await checkLabels(page, "the new exchange form");
  await checkAxe(page, "the new exchange form");
  await checkPhoneWidth(page, "the new exchange form");
  await page.fill("#title", "");
  await page.click("form.exchange-form button[type=submit]");
  await page.waitForSelector("#error-summary");
  for (const field of ["slug", "title", "starts_at"]) {
    check(await page.locator(`#${field}-error`).isVisible(), `no error beside ${field} on the empty form`);
    check((await page.locator(`#${field}`).getAttribute("aria-invalid")) === "true", `${field} is not marked invalid`);
  }
  await checkAxe(page, "the new exchange form with errors");
  await page.goto(`${baseUrl}/console/new-exchange`);
  await page.fill("#slug", slug);
  await page.fill("#title", title);
  await page.fill("#description", "Officials compare how case management keeps people out of detention.");
  await page.fill("#topics", "Case management\nAlternatives to detention");
  await page.fill("#timezone", "Africa/Dakar");
  await page.fill("#starts_at", localInput(40, 9));
  await page.fill("#ends_at", localInput(40, 12));
  await page.fill("#location", "Dakar, Senegal");
  await page.fill("#capacity", "40");
  await page.focus("#requires_approval");
  await page.keyboard.press("Space");
  check(await page.isChecked("#requires_approval"), "Space does not tick the approval box");
  await page.fill("#organiser_emails", organiser);
  await shot(page, "console-new-exchange", ".console-bar", "label[for=location]");
  await page.click("form.exchange-form button[type=submit]");
  await page.waitForURL(/decided=created/);
  check((await page.textContent("p.notice")).includes("Exchange created"), "creating the exchange did not say so");
  check((await page.textContent("h1")) === title, "the new exchange's page does not carry its title");
  check(new URL(page.url()).pathname === `/console/events/${slug}`, `creating landed on ${page.url()}`);
  check((await page.textContent("#activity ~ ul")).includes(`${admin} created the exchange`), "the activity does not say who created the exchange");

  // 4. A participant registers through the public form; it waits for approval. Four more
  //    through the API, so the charts have something to draw.
  const public_ = await browser.newPage({ viewport: PHONE });
  await public_.goto(`${baseUrl}/events/${slug}/register`);
  await public_.fill("#name", participant.name);
  await public_.fill("#email", participant.email);
  await public_.fill("#organisation", "Ministère de l'Intérieur");
  await public_.selectOption("#country", "SN");
  await public_.selectOption("#role", "government_official");
  await public_.check("#consent");
  await public_.click("button[type=submit]");
  await public_.waitForSelector("h1");
  check((await public_.textContent("h1")).includes("Your registration is received"), "registering for an exchange that needs approval did not say it waits");
  const others = [
    ["Kwame Mensah", "GH", "government_official", "kwame"],
    ["Lucía Gómez", "CO", "civil_society", "lucia"],
    ["Sofia Rossi", "IT", "un_entity", "sofia"],
    ["Nadia Haddad", "JO", "government_official", "nadia"],
  ];
  for (const [name, country, role, mailbox] of others) {
    const response = await fetch(`${baseUrl}/api/events/${slug}/registrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name, country, role, consent: true, organisation: "Ministry of the Interior",
        email: `${mailbox}@ministry.example.org`,
      }),
    });
    check(response.status === 202, `registering ${name} through the API answered ${response.status}: ${await response.text()}`);
  }

  // 5. The admin approves Amina alone, then three of the others ticked together.
  await page.goto(`${baseUrl}/console/events/${slug}`);
  check((await page.textContent(".figures")).includes("5 pending approval"), "the overview does not count 5 pending");
  const row = page.locator("tr", { hasText: participant.email });
  check((await row.textContent()).includes("pending"), "the participant is not listed as pending");
  await page.click(`button[aria-label="Approve ${participant.name}"]`);
  await page.waitForURL(/decided=confirmed/);
  check((await page.textContent("p.notice")).includes("Approved: the participant has a seat"), "approving did not say so");
  check((await row.textContent()).includes("confirmed"), "the approved participant is not listed as confirmed");
  for (const [name] of others.slice(0, 3)) {
    await page.getByLabel(name, { exact: true }).check();
  }
  await page.click("button[name=decision][value=approve]");
  await page.waitForURL(/decided=approved-many/);
  check((await page.textContent("p.notice")).startsWith("3 approved"), `approving the ticked did not say 3: ${await page.textContent("p.notice")}`);
  check((await page.textContent(".figures")).includes("4 of 40 confirmed"), "the overview does not count 4 of 40 confirmed");
  check((await page.textContent(".figures")).includes("1 pending approval"), "the overview does not count 1 pending");
  const byCountry = page.locator("figure.chart", { hasText: "by country" });
  check((await byCountry.locator("svg[role=img]").getAttribute("aria-labelledby")) === "by-country", "the country chart has no accessible name");
  for (const bar of ["Senegal", "Ghana", "Colombia", "Italy"]) {
    check((await byCountry.textContent()).includes(bar), `the country chart has no bar for ${bar}`);
  }
  check((await page.locator("figure.chart", { hasText: "by role" }).textContent()).includes("Government official"), "the role chart has no bar for officials");
  check((await page.textContent("#activity ~ ul")).includes(`${admin} approved ${participant.name} (confirmed)`), "the activity does not say who approved the participant");
  await checkAxe(page, "the exchange page");
  await shot(page, "console-exchange", ".console-bar", "#registrations");
  await shot(page, "console-registrations", "#registrations", "#offers");

  // 6. Someone offers to co-sponsor it, through the public form.
  await public_.goto(`${baseUrl}/events/${slug}/cosponsor`);
  await public_.fill("#organisation", sponsor.organisation);
  await public_.selectOption("#country", "GH");
  await public_.fill("#contact_name", "Kofi Boateng");
  await public_.fill("#contact_email", sponsor.email);
  await public_.selectOption("#support_kind", "hosting");
  await public_.fill("#message", "We can host the second day in Accra, with interpretation.");
  await public_.click("button[type=submit]");
  await public_.waitForSelector("h1");
  check((await public_.textContent("h1")).includes("Thank you for your offer"), "offering did not thank");

  // 7. My exchanges counts it all: seats taken, pending approvals, open offers.
  await page.goto(`${baseUrl}/console`);
  const listed = page.locator("tr", { hasText: title });
  check((await listed.locator("td").allTextContents()).slice(2).join("|") === "4 of 40|0|1|1", `My exchanges does not count 4 of 40 seats, none waiting, 1 pending, 1 offer: ${await listed.textContent()}`);
  await shot(page, "console-exchanges");

  // 8. The organiser follows the link in the email about the offer, in a browser never
  //    signed in: it asks them to sign in, then lands on the exchange, offer and all.
  const decideLink = await linkFromMail(organiser, new RegExp(`https?://\\S+/console/events/${slug}#offers`));
  const organiserContext = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  const organiserPage = await organiserContext.newPage();
  await organiserPage.goto(decideLink);
  await signIn(organiserPage, organiser);
  check(new URL(organiserPage.url()).pathname === `/console/events/${slug}`, `the offer's link led, after signing in, to ${organiserPage.url()}`);
  const offer = organiserPage.locator("section.offer", { hasText: sponsor.organisation });
  check((await offer.textContent()).includes("received"), "the offer is not shown as received");
  check((await offer.textContent()).includes("host the second day"), "the offer's message is not shown");
  await checkPhoneWidth(organiserPage, "the exchange page");
  // On a computer the decision buttons are in sight, not scrolled off the table's side.
  const wrap = await organiserPage.locator(".table-wrap", { has: organiserPage.locator(`button[aria-label="Approve ${others[3][0]}"]`) }).boundingBox();
  for (const button of [`Approve ${others[3][0]}`, `Reject ${others[3][0]}`]) {
    const box = await organiserPage.locator(`button[aria-label="${button}"]`).boundingBox();
    check(box.x + box.width <= wrap.x + wrap.width, `"${button}" is off the side of the table at ${DESKTOP.width} px (its right edge at ${box.x + box.width} px, the table's view ends at ${wrap.x + wrap.width} px)`);
  }
  await checkLabels(organiserPage, "the exchange page");
  // Tab reaches a pending registration's buttons and tick box, the CSV, the offer's note
  // and buttons, and shows where it is on each.
  const stops = await checkKeyboard(organiserPage, "the exchange page", [
    "Sign out", "Change", "Cancel exchange", "registrations.csv", `Approve ${others[3][0]}`,
    `Reject ${others[3][0]}`, `input#tick-`, "Approve the ticked", "textarea#note-", "Accept", "/decline",
  ]);
  await organiserPage.fill(`textarea[id^=note-]`, "Thank you: we gladly accept Accra for the second day.");
  await shot(organiserPage, "console-offer", "#offers", "#activity");
  await offer.locator("button", { hasText: "Accept" }).click();
  await organiserPage.waitForURL(/decided=accepted/);
  check((await organiserPage.textContent("p.notice")).includes("Offer accepted"), "accepting the offer did not say so");
  check((await organiserPage.locator("section.offer .tag").textContent()) === "accepted", "the offer is not shown as accepted");
  check((await organiserPage.textContent("section.offer")).includes("Note sent: Thank you"), "the note sent is not shown");
  check((await organiserPage.textContent("#activity ~ ul")).includes(`${organiser} accepted the offer of ${sponsor.organisation}`), "the activity does not say who accepted the offer");
  await public_.goto(`${baseUrl}/events/${slug}`);
  check((await public_.textContent("main")).includes(sponsor.organisation), "the accepted co-sponsor is not shown on the public page");

  // 9. The CSV lists the confirmed participant.
  const [download] = await Promise.all([
    organiserPage.waitForEvent("download"),
    organiserPage.click("a[href$='registrations.csv']"),
  ]);
  check(download.suggestedFilename() === `${slug}-registrations.csv`, `the CSV is named ${download.suggestedFilename()}`);
  const csv = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
  const lines = csv.trim().split(/\r?\n/);
  check(lines.length === 6, `the CSV has ${lines.length - 1} registrations, not 5:\n${csv}`);
  const line = lines.find((l) => l.includes(participant.email));
  check(line?.includes(participant.name) && line.includes("confirmed") && line.includes("SN"), `the CSV does not list ${participant.name} as confirmed:\n${csv}`);

  // 10. Sign out: the console asks to sign in again.
  await organiserPage.click("text=Sign out");
  await organiserPage.waitForSelector("#email");
  check((await organiserPage.textContent("main")).includes("You are signed out"), "signing out did not say so");

  console.log(`console flow: signed in by email twice, created an exchange, approved 4, accepted an offer from its email, downloaded the CSV; Tab reached ${stops} controls on the exchange page, each with a visible focus`);
  console.log(`console flow: ${JSON.stringify({ slug, participant: participant.email, sponsor: sponsor.organisation })}`);
} finally {
  await browser.close();
}
