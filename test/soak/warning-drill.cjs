// Loaded into the observe process by the soak's warning drill (NODE_OPTIONS=--require): two seconds
// in, it makes the process print a MaxListenersExceededWarning, as a listener leak would.
const { EventEmitter } = require("node:events");
setTimeout(() => {
  const leaky = new EventEmitter();
  for (let i = 0; i <= EventEmitter.defaultMaxListeners; i++) leaky.on("drill", () => {});
}, 2000).unref();
