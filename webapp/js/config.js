// The deployment's official web address, shown in the warning that Kinlink never asks for a
// password by email or phone.  Set it with the domain when deploying (README "Family web app");
// on a local stack (127.0.0.1, localhost) the address being served is shown instead.
export const OFFICIAL_ADDRESS = "https://app.kinlink.example";

export function officialAddress() {
  const local = ["127.0.0.1", "localhost", "[::1]"].includes(location.hostname);
  return local ? location.origin : OFFICIAL_ADDRESS;
}
