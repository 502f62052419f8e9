package io.reach.sender;

/** An SMS or voice sender with its one secret (SMPP password or Twilio auth token), for the code that connects. */
public record ProviderAccount(Sender sender, String secret) {

    @Override
    public String toString() {
        return "ProviderAccount[" + sender.name() + ", secret hidden]";
    }
}
