// The service runs as in production unless NODE_ENV says otherwise. graphql-js
// and express read it once, as they load, and in development graphql-js adds
// checks to every request (its instanceOf). main.ts imports this module first,
// so it runs before any of them loads.
process.env.NODE_ENV ??= "production";
