/**
 * Which context reads a caller wants, as bits: filters and output fields OR theirs together,
 * and only those files are read.
 */
export const NEED_CGROUP = 1;
export const NEED_CWD = 2;
export const NEED_LOGIN = 4;
export const NEED_ALL = NEED_CGROUP | NEED_CWD | NEED_LOGIN;
