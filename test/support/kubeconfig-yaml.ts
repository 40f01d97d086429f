/** A kubeconfig with one cluster, one bearer-token user and a context joining them (current). */
export function kubeconfigYaml(server: string, caPem: string, token: string, names: { cluster: string; user: string; context?: string }): string {
  const caData = Buffer.from(caPem).toString('base64');
  const context = names.context ?? names.cluster;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${names.cluster}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${caData}`,
    'users:',
    `- name: ${names.user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${context}`,
    '  context:',
    `    cluster: ${names.cluster}`,
    `    user: ${names.user}`,
    `current-context: ${context}`,
    '',
  ].join('\n');
}
