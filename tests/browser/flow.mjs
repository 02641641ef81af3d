// A participant's journey in a real browser (Debian's headless Chromium, driven by
// playwright-core): open the form (and its French version), submit it empty and see the errors beside the fields,
// fill it in, register, open the personal link from the email the SMTP server received,
// and cancel. Run by tests/tests/browser.rs against a running stack.
//
// Usage: node flow.mjs BASE_URL SLUG MAIL_DIR [SCREENSHOT_DIR]
// Exits non-zero, saying what failed, when any step does not show what it should.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [baseUrl, slug, mailDir, screenshotDir] = process.argv.slice(2);
const email = `browser-${Date.now()}@ministry.example.org`;

function check(condition, what) {
  if (!condition) throw new Error(`browser flow: ${what}`);
}

async function shot(page, name) {
  if (screenshotDir) await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

// Undo quoted-printable soft line breaks and escapes, enough to find a URL in the text.
function decodeQuotedPrintable(text) {
  return text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

async function manageLinkFromMail(address = email) {
  for (let i = 0; i < 300; i++) {
    for (const file of readdirSync(mailDir).filter((f) => f.endsWith(".eml"))) {
      const raw = readFileSync(join(mailDir, file), "utf8");
      if (!raw.includes(address)) continue;
      const match = decodeQuotedPrintable(raw).match(/https?:\/\/\S+\/registrations\/[0-9a-f]+/);
      if (match) return match[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("browser flow: no confirmation email with a personal link within 30 s");
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } });

  // 1. The form, every input with its label.
  await page.goto(`${baseUrl}/events/${slug}/register`);
  for (const id of ["name", "email", "organisation", "country", "role", "consent", "timezone"]) {
    check((await page.locator(`label[for="${id}"]`).count()) === 1, `the ${id} field has no label`);
  }
  await shot(page, "form");

  // 1b. The language switcher: plain links (keyboard-reachable, no JavaScript needed).
  await page.focus('nav a[hreflang="fr"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('html[lang="fr"]');
  check((await page.textContent('label[for="name"]')).includes("Nom complet"), "the French form has no French label");
  await shot(page, "form-fr");
  await page.goto(`${baseUrl}/events/${slug}/register?lang=en`);
  check((await page.textContent('label[for="name"]')).includes("Full name"), "?lang=en does not give English back");

  // 2. Submitted empty: errors beside the fields, summarised at the top, linked to them.
  await page.fill("#timezone", "");
  await page.click("button[type=submit]");
  await page.waitForSelector("#error-summary");
  check(await page.locator("#name-error").isVisible(), "no error beside the name");
  check(await page.locator("#consent-error").isVisible(), "no error beside the consent box");
  check((await page.locator("#name").getAttribute("aria-invalid")) === "true", "the name is not marked invalid");
  check((await page.locator('#error-summary a[href="#email"]').count()) === 1, "the summary does not link to the email field");
  await shot(page, "errors");

  // 3. Filled in, by keyboard where a person would.
  await page.fill("#name", "Amina Diallo");
  await page.fill("#email", email);
  await page.fill("#organisation", "Ministère de l'Intérieur");
  await page.selectOption("#country", "SN");
  await page.selectOption("#role", "government_official");
  await page.focus("#consent");
  await page.keyboard.press("Space");
  await page.click("button[type=submit]");
  await page.waitForSelector("h1");
  check((await page.textContent("h1")).includes("Your registration is received"), "registering did not say so");

  // 4. The link from the email opens the participant's page.
  const link = await manageLinkFromMail();
  await page.goto(link);
  check((await page.textContent("main")).includes("Confirmed"), "the personal page does not say Confirmed");
  await shot(page, "manage");

  // 5. Cancel.
  await page.click("button.danger");
  await page.waitForSelector("h1");
  check((await page.textContent("h1")).includes("cancelled"), "cancelling did not say so");
  await page.goto(link);
  check((await page.textContent("main")).includes("Cancelled"), "the page does not show the cancellation");

  // 6. The same in French: errors, registering, and the personal page in the language chosen.
  const frenchEmail = `navigateur-${Date.now()}@ministere.example.fr`;
  await page.goto(`${baseUrl}/events/${slug}/register?lang=fr`);
  await page.fill("#timezone", "");
  await page.click("button[type=submit]");
  await page.waitForSelector("#error-summary");
  check((await page.locator('html[lang="fr"]').count()) === 1, "the French errors page is not in French");
  await shot(page, "errors-fr");
  await page.fill("#name", "Camille Martin");
  await page.fill("#email", frenchEmail);
  await page.fill("#organisation", "Ministère de l'Intérieur");
  await page.selectOption("#country", "FR");
  await page.selectOption("#role", "government_official");
  await page.check("#consent");
  await page.click("button[type=submit]");
  await page.waitForSelector('html[lang="fr"]');
  await page.goto(await manageLinkFromMail(frenchEmail));
  check((await page.locator('html[lang="fr"]').count()) === 1, "the French participant's page is not in French");
  await shot(page, "manage-fr");
  console.log("browser flow: form, errors, registration, personal link and cancellation all worked, in English and French");
} finally {
  await browser.close();
}
