// The daemons share one configuration-problem type; the apiserver's code names it from here.
export { ConfigError, type ConfigErrorCode, type ConfigProblem, readFlagFile } from '@mkube/shared/flags';
