import { readFile } from "node:fs/promises";
import { join } from "node:path";
import express from "express";
import { projectRoot } from "../paths.js";

export interface PagesOptions {
  /** Where scripts/build-web.ts wrote the pages (default: dist/web). */
  webRoot?: string;
  /** Serve the bundles' source maps (they show the pages' sources to anyone); default false. */
  serveSourceMaps?: boolean;
}

/** Host header values we are willing to echo into the CSP (host, IPv4, [IPv6], optional port). */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Self only. The WebSocket is named explicitly because older browsers do not
 * count ws: of the same host as 'self'. GraphiQL's editor (Monaco) adds <style>
 * elements at run time, hence 'unsafe-inline' for styles on the playground only.
 */
function contentSecurityPolicy(host: string | undefined, inlineStyles: boolean): string {
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${inlineStyles ? " 'unsafe-inline'" : ""}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * The browser pages: the GraphiQL playground at GET /graphql (only for a
 * request that prefers HTML: POST and every other GET go on to Apollo), the
 * live dashboard at /dashboard, and their bundled assets under /assets/.
 * Mount it before the GraphQL middleware.
 */
export function createPagesRouter(opts: PagesOptions = {}): express.Router {
  const webRoot = opts.webRoot ?? join(projectRoot, "dist", "web");
  const router = express.Router();

  const page = (file: string, inlineStyles: boolean): express.RequestHandler => async (req, res) => {
    let html: string;
    try {
      html = await readFile(join(webRoot, file), "utf8");
    } catch {
      res.status(503).type("text/plain").send("The browser pages are not built: run `npm run build` (it bundles web/ into dist/web/).\n");
      return;
    }
    res
      .set({
        "Content-Security-Policy": contentSecurityPolicy(req.headers.host, inlineStyles),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        Vary: "Accept",
      })
      .type("html")
      .send(html);
  };

  const playground = page("playground.html", true);
  router.get("/graphql", (req, res, next) => {
    // Browsers ask for text/html first; GraphQL clients ask for JSON (or anything).
    if (req.accepts(["application/graphql-response+json", "application/json", "text/html"]) !== "text/html") return next();
    return playground(req, res, next);
  });
  router.get("/dashboard", page("dashboard.html", false));

  if (!opts.serveSourceMaps) {
    router.use("/assets", (req, res, next) => (req.path.endsWith(".map") ? void res.status(404).type("text/plain").send("Not found\n") : next()));
  }
  // Every file name under assets/ carries a content hash, so it never changes.
  router.use(
    "/assets",
    express.static(join(webRoot, "assets"), {
      immutable: true,
      maxAge: "365d",
      index: false,
      redirect: false,
      setHeaders: (res) => res.setHeader("X-Content-Type-Options", "nosniff"),
    }),
  );
  return router;
}
