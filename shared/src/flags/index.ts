export { ConfigError, type ConfigErrorCode, type ConfigProblem, readFlagFile } from './configerror.js';
export { formatDuration, parseDuration } from './duration.js';
export type { FlagSpec, FlagType, FlagValues, ParsedArgs } from './parse.js';
export { FlagError, formatFlagHelp, parseFlags } from './parse.js';
export { certificates, type PairFiles, privateKey, readCertificates, readKeyPair } from './pem.js';
