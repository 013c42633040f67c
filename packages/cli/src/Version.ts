/** Victor's version, in a module of its own so that `victor --version` prints it without loading anything else. */
export const VERSION = "0.1.0"
