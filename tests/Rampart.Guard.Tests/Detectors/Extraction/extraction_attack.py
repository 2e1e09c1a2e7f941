"""A scripted model-extraction attack against a real scikit-learn model, for ExtractionCheckTests.

Target: LogisticRegression trained on half of scikit-learn's bundled digits data. Attacker: Papernot et al.'s
Jacobian-based dataset augmentation (2017) with a logistic-regression substitute, starting from 10 held-out images
and doubling its set each round (x + lambda * sign(gradient of the substitute's logit for the target's label)).
Benign clients: 200 clients, each replaying 100 held-out images drawn without repetition from the 800 images the
attacker does not use (clients overlap, as real users of one service do). Also prints the training rows, from which
the test builds the profile that scales features. Prints one JSON object on stdout.
"""
import json

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
target = LogisticRegression(max_iter=3000).fit(X_train, y_train)
std = X_train.std(axis=0)
std[std == 0] = 1.0
rng = np.random.default_rng(7)
order = rng.permutation(len(X_test))
benign_pool = X_test[order[:800]]
benign = [benign_pool[np.random.default_rng(100 + c).choice(800, 100, replace=False)].astype(int).tolist() for c in range(200)]

pool = X_test[order[800:]]
S = pool[rng.choice(len(pool), 10, replace=False)].copy()
queries = [row.tolist() for row in S]
labels = list(target.predict(S))
lam = 2.0
for _ in range(5):
    substitute = LogisticRegression(max_iter=2000).fit(np.array(queries), labels)
    classes = list(substitute.classes_)
    new = []
    for x, label in zip(S, target.predict(S)):
        k = classes.index(label) if label in classes else 0
        gradient = substitute.coef_[k] if substitute.coef_.shape[0] > 1 else substitute.coef_[0]
        new.append(np.clip(x + lam * np.sign(gradient), 0, 16))
    new = np.array(new)
    queries += new.tolist()
    labels += list(target.predict(new))
    S = np.vstack([S, new])

substitute = LogisticRegression(max_iter=2000).fit(np.array(queries), labels)
agreement = float((substitute.predict(X_test) == target.predict(X_test)).mean())
ranges = np.stack([X_train.min(axis=0), X_train.max(axis=0)], axis=1).tolist()
print(json.dumps({"std": std.tolist(), "ranges": ranges, "train": X_train.astype(int).tolist(), "benign": benign, "attack": queries, "agreement": agreement}))
