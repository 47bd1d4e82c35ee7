"""The exchange's words, shared by dialogues and pushes: labels of what is stored, the cards that
show a request or an opportunity, and the ids of the buttons on pushed messages."""
