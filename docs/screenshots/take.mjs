// Screenshots of the default theme: home page and a post, phone (390 px) and desktop (1280 px), light and dark.
//
//   deskpress build -o /tmp/sample
//   NODE_PATH=~/.cache/check-site-node/node_modules node docs/screenshots/take.mjs /tmp/sample docs/screenshots
//
// Serves the built site on a loopback port and drives Debian's /usr/bin/chromium with playwright-core
// (the copy check-site installs). Nothing is fetched from other hosts: such requests are aborted.
import { createRequire } from "node:module";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

const [site, outDir] = [path.resolve(process.argv[2] || "public"), path.resolve(process.argv[3] || "docs/screenshots")];
const POST = process.env.POST || "2026/03/11/a-static-blog-in-an-afternoon/";
const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
                ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".xml": "application/xml" };

const server = http.createServer((request, response) => {
  let file = path.join(site, decodeURIComponent(new URL(request.url, "http://x").pathname));
  if (!file.startsWith(site)) { response.writeHead(403).end(); return; }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) { file = path.join(file, "index.html"); }
  if (!fs.existsSync(file)) { response.writeHead(404).end(); return; }
  response.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
  fs.createReadStream(file).pipe(response);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const shots = [
  { name: "home", url: "" },
  { name: "post", url: POST },
  { name: "post-footer", url: "2026/04/27/disclaimer-or-disclosure/", scrollTo: ".share", widths: [390] },
  { name: "search", url: "search/?q=policy", widths: [390] },
  { name: "search-nojs", url: "search/", widths: [390], schemes: ["light"], javaScriptEnabled: false },
  { name: "post-print", url: POST, widths: [1280], schemes: ["light"], media: "print" },
];
try {
  for (const shot of shots) {
    for (const width of shot.widths || [390, 1280]) {
      for (const colorScheme of shot.schemes || ["light", "dark"]) {
        const context = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 },
                                                   deviceScaleFactor: 1, colorScheme,
                                                   javaScriptEnabled: shot.javaScriptEnabled !== false });
        const page = await context.newPage();
        if (shot.media) { await page.emulateMedia({ media: shot.media }); }
        await page.route("**/*", (route) => route.request().url().startsWith(base) ? route.continue() : route.abort());
        await page.goto(base + shot.url, { waitUntil: "networkidle" });
        if (shot.scrollTo) { await page.locator(shot.scrollTo).scrollIntoViewIfNeeded(); }
        const file = path.join(outDir, `${shot.name}-${width}-${colorScheme}.png`);
        await page.screenshot({ path: file });
        console.log(file);
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  server.close();
}
