// The caller's container from /proc/<pid>/cgroup (and mountinfo when a cgroup namespace hides
// the path), under a configurable procfs root. Only this folder and peer/ read /proc.
// It only locates: the kubelet and the API server confirm before anything is trusted.
export { locateContainer, DEFAULT_LOCATE_OPTIONS } from './container-locator.js';
export type { ContainerLocation, LocateOptions } from './container-locator.js';
export { NestedCgroupError, parseCgroupFile, parseCgroupPath } from './parse-cgroup.js';
export type { CgroupLayout, CgroupLine, CgroupPathIds } from './parse-cgroup.js';
export { combineCgroupPaths } from './combine-cgroup-paths.js';
export type { CgroupVerdict } from './combine-cgroup-paths.js';
export { parseMountinfo, locateInMounts } from './mountinfo.js';
export type { MountEntry, MountVerdict } from './mountinfo.js';
export { readProcessCredentials, MAX_CGROUP_BYTES, MAX_MOUNTINFO_BYTES } from './proc-files.js';
export type { OnRefusedProcRead, ProcReadRefusal } from './proc-files.js';
