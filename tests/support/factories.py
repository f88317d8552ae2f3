"""Factories for test data. Workflow states are reached through the real services
(``tests.support.flows``), never by setting ``state`` by hand."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from articles.passages import plain_text
from editorial.models import Annotation, BoardMember
from editorial.roles import ensure_roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("test-pass-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            ensure_roles()  # a transactional test may have flushed the migration's groups
            self.groups.add(Group.objects.get(name=extracted))
            if extracted in ("Reviewer", "Editor"):
                self.is_staff = True
                self.save(update_fields=["is_staff"])
                BoardMember.objects.create(
                    user=self,
                    display_name=f"Dr. {self.first_name} {self.last_name}",
                    credentials="MD",
                    specialty="Internal medicine",
                )


def make_user(role: str | None = None, **kwargs):
    """A fresh user with ``role`` (a group name), with a clean permission cache."""
    user = UserFactory(role=role, **kwargs)
    return get_user_model().objects.get(pk=user.pk)


def make_annotations(version, creator, count: int = 1, *, passage: int = 0, **fields) -> list:
    """``count`` open annotations by ``creator`` on passage ``passage`` of ``version``, written
    directly (a world's furniture, or a page's load): the services are tested on their own."""
    text = plain_text(version)
    chosen = text.passages[passage]
    prefix, suffix = text.context(chosen.start, chosen.end)
    values = {"severity": "suggestion", "comment": "Which source says so?", **fields}
    return Annotation.objects.bulk_create(
        [
            Annotation(
                version=version,
                creator=creator,
                part=chosen.part,
                reference_number=chosen.reference_number,
                exact=chosen.text,
                prefix=prefix,
                suffix=suffix,
                start=chosen.start,
                end=chosen.end,
                **values,
            )
            for _ in range(count)
        ]
    )
