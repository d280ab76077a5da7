// A client for the admin commands, from a kubeconfig (the file and field are named on error).
import { createClient, type KubeClient } from '@mkube/shared/client';
import { clientOptionsFrom, loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { CliError } from '../command.js';

export async function clientFromKubeconfig(path: string): Promise<KubeClient> {
  try {
    const c = await resolveCredentials(await loadKubeconfig(path));
    return createClient(clientOptionsFrom(c));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}
