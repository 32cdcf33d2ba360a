/** A readable name for the tty_nr of /proc/PID/stat (a dev_t), "?" for none. */
export function ttyName(dev: number): string {
  if (dev <= 0) return "?";
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return "console";
  return `${major}:${minor}`;
}
