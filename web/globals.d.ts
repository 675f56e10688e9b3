/** Worker script URLs, filled in by scripts/build-web.ts. */
declare const __MONACO_WORKERS__: { editor: string; json: string; graphql: string };

declare module "*.css";
