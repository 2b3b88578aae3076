"""A few BANKING77-style intents with six examples each, for the benchmark and eval tests."""

INTENTS = {
    "card_arrival": [
        "my card has not arrived yet",
        "when will my new card come",
        "still waiting for the card in the mail",
        "how long does card delivery take",
        "the card you sent never showed up",
        "is my card on its way",
    ],
    "exchange_rate": [
        "what is the exchange rate today",
        "how much is one euro in dollars",
        "which rate do you use to convert currency",
        "currency conversion rate please",
        "how are exchange rates calculated",
        "rate for pounds to yen",
    ],
    "top_up_failed": [
        "my top up did not go through",
        "adding money to my account failed",
        "why was my top-up declined",
        "the top up keeps failing",
        "could not load funds onto the account",
        "top up error when I add cash",
    ],
}
