"""Forms of the upload pages (Flask-WTF: every form carries a CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gallery.extensions import db
from gallery.models import Category, Country


class NewGalleryForm(FlaskForm):
    """A gallery with the batch metadata its files inherit."""

    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    category = SelectField("Category", coerce=int, validators=[DataRequired()])
    country = SelectField("Country", validators=[Optional()])
    credit = StringField("Credit", validators=[Length(max=300)],
                         description="Used for files whose metadata carries no credit.")
    date = DateField("Date", validators=[Optional()])
    status = SelectField("Status", choices=[SelectChoice("draft", "Draft (staff only)"),
                                            SelectChoice("published", "Published")], default="draft")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(c.id, c.name) for c in db.session.scalars(
            select(Category).order_by(Category.position, Category.name))]
        self.country.choices = [SelectChoice("", "Several or none")] + [
            SelectChoice(c.alpha3, c.name) for c in db.session.scalars(select(Country).order_by(Country.name))]
